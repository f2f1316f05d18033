// Verify: walk the physical hash chain of a branch lineage (every inherited
// event up to each fork point, whatever a date cutoff hides from reads) from
// seq 1 to the head, and name the first event that does not match.
//
// Per event, in order: the key is well formed and holds the next seq (a gap
// means a deleted event); the value parses and is exactly the canonical
// encoding of what it parses to (any altered byte either breaks this or
// changes a field); the stored seq, scenario and branch match where it is
// stored (catches swapped events); prev_hash equals the previous event's
// hash; the hash recomputes. Finally the branch head record must name the
// last event's hash.
#include <fmt/format.h>

#include "ledger/canonical.h"
#include "ledger/rocks_ledger.h"

namespace demarche::ledger {
namespace {

class Walker {
 public:
  Walker(const Store& store, std::string_view scenario) : store_(store), scenario_(scenario) {}

  // Checks the events of one segment; false at the first mismatch.
  bool Walk(uint32_t sid, const Segment& s) {
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
    return true;
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
    ++next_;
    ++result.checked;
    return true;
  }

  const Store& store_;
  std::string_view scenario_;
  uint64_t next_ = 1;
  std::string prev_hash_ = ZeroHash();
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
    ok = walker.Walk(r->branch->sid, s);
    if (!ok) break;
  }
  if (!walker.error_.ok()) return walker.error_;
  if (ok) walker.CheckHead(head);
  return walker.result;
}

}  // namespace demarche::ledger
