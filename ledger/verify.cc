// Verify: walk the physical hash chain of a branch lineage (every inherited
// event up to each fork point, whatever a date cutoff hides from reads) from
// seq 1 to the head, and name the first event that does not match.
//
// Per event, in order: the key is well formed and holds the next seq (a gap
// means a deleted event); the value parses and is exactly the canonical
// encoding of what it parses to (any altered byte either breaks this or
// changes a field); the stored seq, scenario and branch match where it is
// stored (catches swapped events); prev_hash equals the previous event's
// hash; the hash recomputes. Then each segment's date index (what reads by
// date and replays read): one entry per event, under the event's own date,
// holding a copy of the event's bytes exactly when keys::CopiedInDateIndex
// says so, and the copy equal to the event. Finally the branch head record
// must name the last event's hash.
//
// A long chain is walked in two halves on two threads; the link between
// them (the second half's first prev_hash) is checked after both.
#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"
#include "ledger/canonical.h"
#include "ledger/date.h"
#include "ledger/rocks_ledger.h"

namespace demarche::ledger {
namespace {

// Chains at least this long are walked in two halves.
constexpr uint64_t kParallelEvents = 32768;

// What the walk found of one segment's events, for its date index: each
// event's sort key (by seq - lo; the two walks write apart) and the SHA-256
// of those whose entry must hold a copy.
struct Expected {
  std::vector<uint32_t> dates;
  absl::flat_hash_map<uint64_t, std::string> copies;
};

// The result of a mismatch at `seq`, the events before it verified.
VerifyResult Mismatch(uint64_t seq, uint64_t checked, std::string reason) {
  return VerifyResult{false, std::min(checked, seq - 1), seq, std::move(reason)};
}

// Walks the chain over seqs [from, to] of the lineage.
class ChainWalker {
 public:
  ChainWalker(const Store& store, std::string_view scenario, uint32_t sid,
              const std::vector<Segment>& segments, std::vector<Expected>* expected)
      : copies(segments.size()),
        store_(store),
        scenario_(scenario),
        sid_(sid),
        segments_(segments),
        expected_(expected) {}

  // From seq 1 prev_hash must be zero; from later, the first prev_hash is
  // taken as it is and checked by the caller (first_prev_hash).
  void Walk(uint64_t from, uint64_t to) {
    next_ = from;
    for (size_t i = 0; i < segments_.size(); ++i) {
      const Segment& s = segments_[i];
      const uint64_t lo = std::max(s.lo, from), hi = std::min(s.hi, to);
      if (lo > hi) continue;
      // Events copied into the date index depend on the segment's high water
      // from its first event; a walk that starts inside a segment leaves
      // the ones it cannot decide to the caller.
      high_water = 0;
      decided_ = lo == s.lo;
      if (!WalkSegment(s, (*expected_)[i], lo, hi)) return;
    }
  }

  VerifyResult result;
  absl::Status error;
  std::string first_prev_hash;  // as stored at `from`
  std::string last_hash;        // of the last event walked
  uint32_t high_water = 0;      // of the last segment walked, up to `to`
  // (seq, sort key) of the events whose copy depends on the high water
  // before `from` (walks that start inside a segment).
  std::vector<std::pair<uint64_t, uint32_t>> undecided;
  // Per segment, the copies due (Expected::copies): kept apart while two
  // walks share a segment, merged after.
  std::vector<absl::flat_hash_map<uint64_t, std::string>> copies;

 private:
  bool WalkSegment(const Segment& s, Expected& expected, uint64_t lo, uint64_t hi) {
    // An audit pass should not evict the working set: past the block cache.
    BoundedIterator events(store_, store_.events, keys::EncodeEventKey({sid_, s.bid, lo}),
                           keys::EncodeEventKey({sid_, s.bid, hi + 1}), /*fill_cache=*/false);
    rocksdb::Iterator* it = events.it.get();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!Check(std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()), s, expected))
        return false;
    }
    if (!it->status().ok()) {
      error = FromRocks(it->status(), "verifying");
      return false;
    }
    if (next_ <= hi) return Bad(fmt::format("seq {} is missing", next_));
    return true;
  }

  bool Bad(std::string reason) {
    result = Mismatch(next_, result.checked, std::move(reason));
    return false;
  }

  bool Check(std::string_view key, std::string_view value, const Segment& s, Expected& expected) {
    auto k = keys::DecodeEventKey(key);
    if (!k || k->sid != sid_ || k->bid != s.bid) return Bad("malformed event key");
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
    if (result.checked == 0 && next_ > 1) {
      first_prev_hash = e.prev_hash();
    } else if (e.prev_hash() != (next_ == 1 ? ZeroHash() : last_hash)) {
      return Bad(next_ == 1
                     ? std::string("prev_hash of seq 1 is not 32 zero bytes")
                     : fmt::format("prev_hash does not match the hash of seq {}", next_ - 1));
    }
    // The value is canonical (checked above), so the hashed bytes are a prefix of it.
    const std::string hash = Sha256(HashedBytes(e, value));
    if (hash != e.hash())
      return Bad(fmt::format("hash does not match the event's content (stored {}, computed {})",
                             Hex(e.hash()), Hex(hash)));
    last_hash = hash;
    // What its date index entry must be (checked after the chain).
    const uint32_t sort_key = SortKey(e.occurred());
    expected.dates[next_ - s.lo] = sort_key;
    if (keys::CopiedInDateIndex(sort_key, high_water))
      copies[&expected - expected_->data()].emplace(next_, Sha256(value));
    else if (!decided_)
      undecided.emplace_back(next_, sort_key);
    high_water = std::max(high_water, sort_key);
    ++next_;
    ++result.checked;
    return true;
  }

  const Store& store_;
  std::string_view scenario_;
  uint32_t sid_;
  const std::vector<Segment>& segments_;
  std::vector<Expected>* expected_;
  uint64_t next_ = 1;
  bool decided_ = true;
};

// Checks one segment's date index against what the chain walk found.
class DateChecker {
 public:
  DateChecker(const Store& store, uint32_t sid) : store_(store), sid_(sid) {}

  // `own`: the segment is the verified branch's own, so every entry of its
  // date index must belong to one of its events. An ancestor's segment that
  // is a small part of its branch is checked entry by entry rather than by
  // scanning that branch's whole index (extra entries there are the
  // ancestor's own audit's to find).
  bool Check(const Segment& s, const Expected& expected, bool own, uint64_t checked) {
    const uint64_t branch_events = s.branch->Head().seq - s.lo + 1;
    return own || 2 * (s.hi - s.lo + 1) >= branch_events ? Scan(s, expected, own, checked)
                                                         : LookUp(s, expected, checked);
  }

  VerifyResult result;
  absl::Status error;

 private:
  // What is wrong with the entry of `seq` (holding `value`), given that it
  // is filed under the event's date; empty if nothing.
  static std::string Fault(const Expected& expected, uint64_t seq, std::string_view value) {
    auto copy = expected.copies.find(seq);
    if (copy == expected.copies.end())
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
  bool Scan(const Segment& s, const Expected& expected, bool own, uint64_t checked) {
    auto dates = BoundedIterator::OverBranch(store_, store_.dates, sid_, s.bid,
                                             /*fill_cache=*/false);
    rocksdb::Iterator* it = dates->it.get();
    std::vector<bool> seen(expected.dates.size());
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
      if (k->sort_key != expected.dates[i]) {
        fault(k->seq, fmt::format("the date index files seq {} under date key {}, but the event "
                                  "is dated {}",
                                  k->seq, k->sort_key, expected.dates[i]));
        continue;
      }
      std::string why =
          Fault(expected, k->seq, std::string_view(it->value().data(), it->value().size()));
      if (!why.empty()) fault(k->seq, std::move(why));
    }
    if (!it->status().ok()) {
      error = FromRocks(it->status(), "verifying the date index");
      return false;
    }
    for (size_t i = 0; i < seen.size() && s.lo + i < bad_seq; ++i)
      if (!seen[i])
        fault(s.lo + i,
              fmt::format("seq {} has no date index entry (reads by date miss it)", s.lo + i));
    if (bad_seq == UINT64_MAX) return true;
    result = Mismatch(bad_seq, checked, std::move(reason));
    return false;
  }

  // Looks up each event's own date index entry.
  bool LookUp(const Segment& s, const Expected& expected, uint64_t checked) {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    for (size_t i = 0; i < expected.dates.size(); ++i) {
      const uint64_t seq = s.lo + i;
      auto value =
          store_.Get(ro, store_.dates, keys::EncodeDateKey({sid_, s.bid, expected.dates[i], seq}));
      if (!value.ok()) {
        error = value.status();
        return false;
      }
      std::string why = value->has_value()
                            ? Fault(expected, seq, **value)
                            : fmt::format(
                                  "seq {} has no date index entry under its date (reads "
                                  "by date miss it)",
                                  seq);
      if (!why.empty()) {
        result = Mismatch(seq, checked, std::move(why));
        return false;
      }
    }
    return true;
  }

  const Store& store_;
  uint32_t sid_;
};

}  // namespace

absl::StatusOr<VerifyResult> RocksLedger::Verify(std::string_view scenario,
                                                 std::string_view branch) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  const keys::Head head = r->branch->Head();
  const uint32_t sid = r->branch->sid;
  const std::vector<Segment> segments = Lineage(*r->branch, head.seq, /*honour_cutoffs=*/false);
  std::vector<Expected> expected(segments.size());
  for (size_t i = 0; i < segments.size(); ++i)
    expected[i].dates.resize(segments[i].hi - segments[i].lo + 1);

  // The chain, in one or two walks.
  const uint64_t mid = head.seq >= kParallelEvents ? head.seq / 2 : head.seq;
  ChainWalker first(*store_, scenario, sid, segments, &expected);
  ChainWalker second(*store_, scenario, sid, segments, &expected);
  if (mid < head.seq) {
    std::thread other([&] { second.Walk(mid + 1, head.seq); });
    first.Walk(1, mid);
    other.join();
  } else {
    first.Walk(1, head.seq);
  }
  if (!first.error.ok()) return first.error;
  if (!first.result.ok) return first.result;
  VerifyResult result = first.result;
  if (mid < head.seq) {
    if (!second.error.ok()) return second.error;
    if (second.result.checked > 0 && second.first_prev_hash != first.last_hash)
      return Mismatch(mid + 1, result.checked,
                      fmt::format("prev_hash does not match the hash of seq {}", mid));
    if (!second.result.ok) {
      second.result.checked += result.checked;
      return second.result;
    }
    result.checked += second.result.checked;
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    expected[i].copies = std::move(first.copies[i]);
    expected[i].copies.merge(second.copies[i]);
  }
  if (mid < head.seq) {
    // The copies the second walk could not decide: those its own high water
    // did not call for but the first walk's (in the same segment) does.
    for (const auto& entry : second.undecided) {
      const uint64_t seq = entry.first;  // (clang 14 captures no structured bindings)
      if (!keys::CopiedInDateIndex(entry.second, first.high_water)) continue;
      const size_t i = std::find_if(segments.begin(), segments.end(),
                                    [&](const Segment& s) { return seq <= s.hi; }) -
                       segments.begin();
      auto bytes = store_->Get(store_->events, keys::EncodeEventKey({sid, segments[i].bid, seq}));
      if (!bytes.ok()) return bytes.status();
      if (!bytes->has_value())
        return absl::DataLossError(fmt::format("seq {} vanished while verifying", seq));
      expected[i].copies.emplace(seq, Sha256(**bytes));
    }
  }

  // The date indexes, then the head record.
  DateChecker dates(*store_, sid);
  for (size_t i = 0; i < segments.size(); ++i) {
    if (!dates.Check(segments[i], expected[i], segments[i].bid == r->branch->bid, result.checked)) {
      if (!dates.error.ok()) return dates.error;
      return dates.result;
    }
  }
  const std::string last =
      head.seq == 0 ? ZeroHash() : (mid < head.seq ? second.last_hash : first.last_hash);
  if (head.hash != last)
    return VerifyResult{false, result.checked, head.seq,
                        fmt::format("branch head record names hash {} but seq {} hashes to {}",
                                    Hex(head.hash), head.seq, Hex(last))};
  return result;
}

}  // namespace demarche::ledger
