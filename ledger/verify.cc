// Verify: walk the physical hash chain of a branch lineage (every inherited
// event up to each fork point, whatever a date cutoff hides from reads) from
// seq 1 to the head, and name the first event that does not match.
//
// Per event, in order: the key is well formed and holds the next seq (a gap
// means a deleted event); the value parses and is exactly the canonical
// encoding of what it parses to (any altered byte either breaks this or
// changes a field); the stored seq, scenario and branch match where it is
// stored (catches swapped events); prev_hash equals the previous event's
// hash; the hash recomputes. Then the segment's date index (what reads by
// date and replays read): one entry per event, under the event's own date,
// holding a copy of the event's bytes exactly when keys::CopiedInDateIndex
// says so, and the copy equal to the event. Finally the branch head record
// must name the last event's hash.
#include <algorithm>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"
#include "ledger/canonical.h"
#include "ledger/date.h"
#include "ledger/rocks_ledger.h"

namespace demarche::ledger {
namespace {

class Walker {
 public:
  Walker(const Store& store, std::string_view scenario) : store_(store), scenario_(scenario) {}

  // Checks the events of one segment, then its date index; false at the
  // first mismatch. `own`: the segment is the verified branch's own, so
  // every entry of its date index must belong to one of its events.
  bool Walk(uint32_t sid, const Segment& s, bool own) {
    dates_.clear();
    dates_.reserve(s.hi - s.lo + 1);
    copies_.clear();
    high_water_ = 0;
    const std::string lower = keys::EncodeEventKey({sid, s.bid, s.lo});
    const std::string upper = keys::EncodeEventKey({sid, s.bid, s.hi + 1});
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
    ro.fill_cache = false;  // an audit pass should not evict the working set
    std::unique_ptr<rocksdb::Iterator> it(store_.db->NewIterator(ro, store_.events));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!Check(std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()), sid, s))
        return false;
    }
    if (!it->status().ok()) {
      error_ = FromRocks(it->status(), "verifying");
      return false;
    }
    if (next_ <= s.hi) return Bad(fmt::format("seq {} is missing", next_));
    // An ancestor's segment that is a small part of its branch is checked
    // entry by entry rather than by scanning that branch's whole index
    // (extra entries there are the ancestor's own audit's to find).
    const uint64_t branch_events = s.branch->Head().seq - s.lo + 1;
    return own || 2 * (s.hi - s.lo + 1) >= branch_events ? ScanDates(sid, s, own)
                                                         : LookUpDates(sid, s);
  }

  bool CheckHead(const keys::Head& head) {
    if (head.hash != prev_hash_) {
      next_ = head.seq;
      return Bad(fmt::format("branch head record names hash {} but seq {} hashes to {}",
                             Hex(head.hash), head.seq, Hex(prev_hash_)));
    }
    return true;
  }

  VerifyResult result;
  absl::Status error_;  // a read error, as opposed to a mismatch

 private:
  bool Bad(std::string reason) {
    result.ok = false;
    result.first_bad_seq = next_;
    result.reason = std::move(reason);
    return false;
  }

  // A fault of the date index, at the seq it concerns: the events before it
  // verified.
  bool BadDate(uint64_t seq, std::string reason) {
    result.ok = false;
    result.first_bad_seq = seq;
    result.checked = std::min(result.checked, seq - 1);
    result.reason = std::move(reason);
    return false;
  }

  // What the date index entry of `seq` (holding `value`) must be, given
  // that it is filed under the event's date; empty if it is right.
  std::string DateFault(uint64_t seq, std::string_view value) const {
    auto copy = copies_.find(seq);
    if (copy == copies_.end())
      return value.empty() ? std::string()
                           : fmt::format(
                                 "the date index entry of seq {} holds bytes, but the "
                                 "event is not dated before its branch's year",
                                 seq);
    if (value.empty())
      return fmt::format("the date index entry of seq {} lacks its copy of the event", seq);
    if (Sha256(value) != copy->second)
      return fmt::format("the date index entry of seq {} holds bytes that differ from the event",
                         seq);
    return std::string();
  }

  // Scans the segment's branch's date index; names the lowest seq at fault.
  bool ScanDates(uint32_t sid, const Segment& s, bool own) {
    const std::string lower = keys::BranchPrefix(sid, s.bid);
    const std::string upper = keys::PrefixSuccessor(lower).value_or(std::string());
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice;
    if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(store_.db->NewIterator(ro, store_.dates));
    std::vector<bool> seen(dates_.size());
    uint64_t bad_seq = UINT64_MAX;
    std::string reason;
    auto fault = [&](uint64_t seq, std::string why) {
      if (seq < bad_seq) {
        bad_seq = seq;
        reason = std::move(why);
      }
    };
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto k = keys::DecodeDateKey(std::string_view(it->key().data(), it->key().size()));
      if (!k) {
        fault(s.lo, "malformed date index key");
        continue;
      }
      if (k->seq > s.hi && !own) continue;  // a later event of the ancestor
      if (k->seq < s.lo || k->seq > s.hi) {
        fault(std::max(k->seq, s.lo), fmt::format("the date index has an entry for seq {}, which "
                                                  "is not an event of branch \"{}\"",
                                                  k->seq, s.branch->record.name()));
        continue;
      }
      const size_t i = k->seq - s.lo;
      if (seen[i]) {
        fault(k->seq, fmt::format("seq {} has more than one date index entry", k->seq));
        continue;
      }
      seen[i] = true;
      if (k->sort_key != dates_[i]) {
        fault(k->seq, fmt::format("the date index files seq {} under date key {}, but the event "
                                  "is dated {}",
                                  k->seq, k->sort_key, dates_[i]));
        continue;
      }
      std::string why = DateFault(k->seq, std::string_view(it->value().data(), it->value().size()));
      if (!why.empty()) fault(k->seq, std::move(why));
    }
    if (!it->status().ok()) {
      error_ = FromRocks(it->status(), "verifying the date index");
      return false;
    }
    for (size_t i = 0; i < seen.size() && s.lo + i < bad_seq; ++i)
      if (!seen[i])
        fault(s.lo + i,
              fmt::format("seq {} has no date index entry (reads by date miss it)", s.lo + i));
    return bad_seq == UINT64_MAX || BadDate(bad_seq, std::move(reason));
  }

  // Looks up each event's own date index entry.
  bool LookUpDates(uint32_t sid, const Segment& s) {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    for (size_t i = 0; i < dates_.size(); ++i) {
      const uint64_t seq = s.lo + i;
      auto value = store_.Get(ro, store_.dates, keys::EncodeDateKey({sid, s.bid, dates_[i], seq}));
      if (!value.ok()) {
        error_ = value.status();
        return false;
      }
      if (!value->has_value())
        return BadDate(seq, fmt::format("seq {} has no date index entry under its date (reads by "
                                        "date miss it)",
                                        seq));
      if (std::string why = DateFault(seq, **value); !why.empty())
        return BadDate(seq, std::move(why));
    }
    return true;
  }

  bool Check(std::string_view key, std::string_view value, uint32_t sid, const Segment& s) {
    auto k = keys::DecodeEventKey(key);
    if (!k || k->sid != sid || k->bid != s.bid) return Bad("malformed event key");
    if (k->seq != next_)
      return Bad(fmt::format("seq {} is missing (the next stored event is seq {})", next_, k->seq));
    v1::Event e;
    if (!e.ParseFromArray(value.data(), static_cast<int>(value.size())))
      return Bad("stored bytes do not parse as an event");
    if (CanonicalBytes(e) != value)
      return Bad("stored bytes are not the canonical encoding of the event (altered bytes)");
    if (e.seq() != next_)
      return Bad(fmt::format("the event stored at seq {} says seq {}", next_, e.seq()));
    if (e.scenario() != scenario_ || e.branch() != s.branch->record.name())
      return Bad(
          fmt::format("the event says scenario \"{}\" branch \"{}\" but is stored in \"{}\" \"{}\"",
                      e.scenario(), e.branch(), scenario_, s.branch->record.name()));
    if (e.prev_hash() != prev_hash_)
      return Bad(next_ == 1
                     ? std::string("prev_hash of seq 1 is not 32 zero bytes")
                     : fmt::format("prev_hash does not match the hash of seq {}", next_ - 1));
    // The value is canonical (checked above), so the hashed bytes are a prefix of it.
    const std::string hash = Sha256(HashedBytes(e, value));
    if (hash != e.hash())
      return Bad(fmt::format("hash does not match the event's content (stored {}, computed {})",
                             Hex(e.hash()), Hex(hash)));
    prev_hash_ = hash;
    // What its date index entry must be (checked after the segment).
    const uint32_t sort_key = SortKey(e.occurred());
    dates_.push_back(sort_key);
    if (keys::CopiedInDateIndex(sort_key, high_water_)) copies_.emplace(next_, Sha256(value));
    high_water_ = std::max(high_water_, sort_key);
    ++next_;
    ++result.checked;
    return true;
  }

  const Store& store_;
  std::string_view scenario_;
  uint64_t next_ = 1;
  std::string prev_hash_ = ZeroHash();
  // The current segment's events: their sort keys (by seq - lo), and the
  // SHA-256 of those whose date index entry holds a copy.
  std::vector<uint32_t> dates_;
  absl::flat_hash_map<uint64_t, std::string> copies_;
  uint32_t high_water_ = 0;
};

}  // namespace

absl::StatusOr<VerifyResult> RocksLedger::Verify(std::string_view scenario,
                                                 std::string_view branch) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  const keys::Head head = r->branch->Head();
  Walker walker(*store_, scenario);
  bool ok = true;
  for (const Segment& s : Lineage(*r->branch, head.seq, /*honour_cutoffs=*/false)) {
    ok = walker.Walk(r->branch->sid, s, /*own=*/s.bid == r->branch->bid);
    if (!ok) break;
  }
  if (!walker.error_.ok()) return walker.error_;
  if (ok) walker.CheckHead(head);
  return walker.result;
}

}  // namespace demarche::ledger
