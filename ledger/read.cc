// Streaming reads over a branch lineage: by seq (forwards or backwards) and by
// occurred date (a merge of the segments' date indexes). Each iterator holds
// one RocksDB iterator at a time per segment and never buffers the branch.
#include <algorithm>

#include <fmt/format.h>

#include "ledger/canonical.h"
#include "ledger/date.h"
#include "ledger/quote.h"
#include "ledger/rocks_ledger.h"

namespace demarche::ledger {
namespace {

std::string_view View(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// Whether an iterator's blocks go into the block cache (fill_cache). A run read once
// (in seq order, or an index) is read past the cache: each cached block is
// fresh memory, page-faulted in, and a long run only evicts the working set
// (a seq-order read of 300k events: 317-690 k -> 740-760 k ev/s). An
// iterator that seeks back into blocks it passed (events in date order)
// keeps them cached (uncached, a full replay lost 7 %).

// Events by seq. Segments are visited in the read direction; events hidden by
// a cutoff are skipped. With corrections_only it walks the corrections index
// instead and reads each of its events at a point: a replay's look for
// corrections costs what they number, not the branch's length.
class SeqIterator final : public EventIterator {
 public:
  SeqIterator(std::shared_ptr<const Store> store, uint32_t sid, std::vector<Segment> segments,
              Direction direction, bool corrections_only)
      : store_(std::move(store)),
        sid_(sid),
        segments_(std::move(segments)),
        dir_(direction),
        corrections_only_(corrections_only) {
    if (dir_ == Direction::kBackward) std::reverse(segments_.begin(), segments_.end());
    OpenSegment();
    Settle();
  }

  bool Valid() const override { return valid_; }
  const v1::Event& event() const override { return event_; }
  v1::Event TakeEvent() override { return std::move(event_); }
  void SwapEvent(v1::Event* out) override { event_.Swap(out); }
  absl::Status status() const override { return status_; }
  void Next() override {
    if (!valid_) return;
    Step();
    Settle();
  }

 private:
  void OpenSegment() {
    iter_.reset();
    if (next_segment_ >= segments_.size()) return;
    const Segment& s = segments_[next_segment_++];
    cutoff_ = s.cutoff_key;
    iter_ = std::make_unique<BoundedIterator>(
        *store_, corrections_only_ ? store_->corrections : store_->events,
        keys::EncodeEventKey({sid_, s.bid, s.lo}), keys::EncodeEventKey({sid_, s.bid, s.hi + 1}),
        /*fill_cache=*/false);
    if (dir_ == Direction::kForward)
      iter_->it->SeekToFirst();
    else
      iter_->it->SeekToLast();
  }

  void Step() {
    if (dir_ == Direction::kForward)
      iter_->it->Next();
    else
      iter_->it->Prev();
  }

  // Moves to the next visible event at or after the current position.
  void Settle() {
    valid_ = false;
    while (iter_) {
      rocksdb::Iterator& it = *iter_->it;
      if (!it.Valid()) {
        if (!it.status().ok()) {
          status_ = FromRocks(it.status(), "reading events");
          return;
        }
        OpenSegment();
        continue;
      }
      if (corrections_only_) {
        if (!ReadIndexed(View(it.key()))) return;
      } else if (!event_.ParseFromArray(it.value().data(), static_cast<int>(it.value().size()))) {
        auto key = keys::DecodeEventKey(View(it.key()));
        status_ = absl::DataLossError(
            fmt::format("stored event at seq {} does not parse", key ? key->seq : 0));
        return;
      }
      if (SortKey(event_.occurred()) <= cutoff_) {
        valid_ = true;
        return;
      }
      Step();
    }
  }

  // Reads into event_ the event that an index key names; false (status_
  // set) if the key is malformed or names no stored event.
  bool ReadIndexed(std::string_view index_key) {
    auto key = keys::DecodeEventKey(index_key);
    if (!key) {
      status_ = absl::DataLossError("malformed corrections index key");
      return false;
    }
    auto event = store_->GetEvent(key->sid, key->bid, key->seq);
    if (!event.ok()) {
      status_ = event.status();
      return false;
    }
    if (!event->has_value()) {
      status_ = absl::DataLossError(
          fmt::format("corrections index names seq {} but no event is stored", key->seq));
      return false;
    }
    event_ = **std::move(event);
    return true;
  }

  std::shared_ptr<const Store> store_;
  uint32_t sid_;
  std::vector<Segment> segments_;
  Direction dir_;
  bool corrections_only_;
  size_t next_segment_ = 0;
  std::unique_ptr<BoundedIterator> iter_;
  uint32_t cutoff_ = UINT32_MAX;
  v1::Event event_;
  bool valid_ = false;
  absl::Status status_;
};

// Events by (occurred sort key, seq): a k-way merge over one date-index
// cursor per lineage segment (few: one per ancestor). A cursor reads its date
// index a window at a time and fetches the window's events in seq order,
// then hands them out in date order. Date order follows seq order only
// loosely: month- and year-precision events sort at the start of their
// period, a backdated event far before its neighbours. Fetched one by one in
// date order, the bench's 300k-event branch takes 23k seeks and 696k steps;
// by windows of 4096 in seq order, 15k and 407k (counted over its date
// order), and its read by date went 0.74 -> 0.64 s. An event backdated to an
// earlier year is not fetched at all: its entry holds a copy
// (keys::CopiedInDateIndex), so its 32 KB block is not read out of turn
// (the bench's 1M-event branch, 5 % backdated: 2.25 -> 1.64 s).
class OccurredIterator final : public EventIterator {
 public:
  OccurredIterator(std::shared_ptr<const Store> store, uint32_t sid,
                   const std::vector<Segment>& segments, uint32_t from_key, uint64_t from_seq,
                   uint32_t to_key, EventFields fields)
      : store_(std::move(store)), sid_(sid), fields_(fields) {
    for (const Segment& s : segments) {
      const uint32_t upto = std::min(to_key, s.cutoff_key);
      if (upto < from_key) continue;
      Cursor& c = cursors_.emplace_back();
      c.lo = s.lo;
      c.hi = s.hi;
      c.index = std::make_unique<BoundedIterator>(
          *store_, store_->dates, keys::EncodeDateKey({sid, s.bid, from_key, from_seq}),
          keys::EncodeDateKey({sid, s.bid, upto, UINT64_MAX}) + '\0', /*fill_cache=*/false);
      c.events = std::make_unique<BoundedIterator>(
          *store_, store_->events, keys::EncodeEventKey({sid, s.bid, s.lo}),
          keys::EncodeEventKey({sid, s.bid, s.hi + 1}), /*fill_cache=*/true);
      c.index->it->SeekToFirst();
    }
    for (Cursor& c : cursors_) Fill(c);
    Emit();
  }

  bool Valid() const override { return valid_; }
  const v1::Event& event() const override { return event_; }
  v1::Event TakeEvent() override { return std::move(event_); }
  void SwapEvent(v1::Event* out) override { event_.Swap(out); }
  absl::Status status() const override { return status_; }
  void Next() override {
    if (!valid_) return;
    Cursor& c = cursors_[current_];
    if (++c.at == c.window.size()) Fill(c);
    Emit();
  }

 private:
  // One date-index entry of a window and where its event's bytes sit in the
  // cursor's buffer.
  struct Entry {
    keys::DateKey key;
    size_t offset = 0, size = 0;
  };
  struct Cursor {
    uint64_t lo = 0, hi = 0;
    std::unique_ptr<BoundedIterator> index;   // the segment's date index
    std::unique_ptr<BoundedIterator> events;  // its events, for the fetches
    std::vector<Entry> window;                // in date order; window[at] is current
    size_t at = 0;
    std::string bytes;  // the window's events
    size_t next_size = kFirstWindow;
    const keys::DateKey* key() const { return at < window.size() ? &window[at].key : nullptr; }
  };

  // A window starts small, so the first event comes quickly, and doubles up
  // to kMaxWindow entries or about kWindowBytes of events.
  static constexpr size_t kFirstWindow = 64;
  static constexpr size_t kMaxWindow = 4096;
  static constexpr size_t kWindowBytes = 4 << 20;
  // Steps forward rather than seeking when the wanted seq is at most this
  // many entries ahead (a Next() costs a fraction of a seek).
  static constexpr uint64_t kStepWindow = 32;

  // Reads c's next window of in-segment date-index entries and their events.
  // An empty window: the end, or status_ set.
  void Fill(Cursor& c) {
    c.window.clear();
    c.bytes.clear();
    c.at = 0;
    rocksdb::Iterator& it = *c.index->it;
    by_seq_.clear();
    for (; it.Valid() && c.window.size() < c.next_size; it.Next()) {
      auto k = keys::DecodeDateKey(View(it.key()));
      if (!k) {
        status_ = absl::DataLossError("malformed date index key");
        c.window.clear();
        return;
      }
      if (k->seq < c.lo || k->seq > c.hi) continue;
      Entry& e = c.window.emplace_back(Entry{*k});
      // A copy in the entry (keys::CopiedInDateIndex): no fetch.
      const rocksdb::Slice copy = it.value();
      e.offset = c.bytes.size();
      e.size = copy.size();
      c.bytes.append(copy.data(), copy.size());
    }
    if (!it.status().ok()) {
      status_ = FromRocks(it.status(), "reading date index");
      c.window.clear();
      return;
    }
    for (Entry& e : c.window)
      if (e.size == 0) by_seq_.push_back(&e);
    std::sort(by_seq_.begin(), by_seq_.end(),
              [](const Entry* a, const Entry* b) { return a->key.seq < b->key.seq; });
    for (Entry* e : by_seq_) {
      if (!SeekEvent(c, e->key)) {
        const rocksdb::Status& s = c.events->it->status();
        status_ = s.ok() ? absl::DataLossError(fmt::format(
                               "date index names seq {} but no event is stored", e->key.seq))
                         : FromRocks(s, "reading events");
        c.window.clear();
        return;
      }
      const rocksdb::Slice value = c.events->it->value();
      e->offset = c.bytes.size();
      e->size = value.size();
      c.bytes.append(value.data(), value.size());
    }
    if (!c.window.empty()) {
      const size_t mean = std::max<size_t>(1, c.bytes.size() / c.window.size());
      c.next_size =
          std::clamp(kWindowBytes / mean, size_t{1}, std::min(c.window.size() * 2, kMaxWindow));
    }
  }

  // Positions c.events on the event of `key`; false if it is not stored.
  bool SeekEvent(Cursor& c, const keys::DateKey& key) {
    rocksdb::Iterator& it = *c.events->it;
    if (it.Valid()) {
      auto at = keys::DecodeEventKey(View(it.key()));
      if (at && at->seq == key.seq) return true;
      if (at && at->seq < key.seq && key.seq - at->seq <= kStepWindow) {
        for (it.Next(); it.Valid(); it.Next()) {
          at = keys::DecodeEventKey(View(it.key()));
          if (!at || at->seq >= key.seq) break;
        }
        if (it.Valid() && at && at->seq == key.seq) return true;
      }
    }
    it.Seek(keys::EncodeEventKey({sid_, key.bid, key.seq}));
    if (!it.Valid()) return false;
    auto at = keys::DecodeEventKey(View(it.key()));
    return at && at->seq == key.seq;
  }

  void Emit() {
    valid_ = false;
    if (!status_.ok()) return;
    const Cursor* best = nullptr;
    for (size_t i = 0; i < cursors_.size(); ++i) {
      const keys::DateKey* k = cursors_[i].key();
      if (!k) continue;
      if (!best ||
          std::tie(k->sort_key, k->seq) < std::tie(best->key()->sort_key, best->key()->seq)) {
        best = &cursors_[i];
        current_ = i;
      }
    }
    if (!best) return;
    const Entry& e = best->window[best->at];
    const std::string_view value(best->bytes.data() + e.offset, e.size);
    const bool parsed = fields_ == EventFields::kMove
                            ? ParseMoveFields(value, &event_)
                            : event_.ParseFromArray(value.data(), static_cast<int>(value.size()));
    if (!parsed) {
      status_ =
          absl::DataLossError(fmt::format("stored event at seq {} does not parse", e.key.seq));
      return;
    }
    valid_ = true;
  }

  std::shared_ptr<const Store> store_;
  uint32_t sid_;
  EventFields fields_;
  std::vector<Cursor> cursors_;
  std::vector<Entry*> by_seq_;  // Fill's scratch
  size_t current_ = 0;
  v1::Event event_;
  bool valid_ = false;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventIterator>> RocksLedger::Read(std::string_view scenario,
                                                                 std::string_view branch,
                                                                 const ReadOptions& options) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  uint64_t hi = r->branch->Head().seq;
  if (options.max_seq) hi = std::min(hi, options.max_seq);
  uint64_t lo = 1;
  if (options.from_seq) {
    if (options.direction == Direction::kForward)
      lo = options.from_seq;
    else
      hi = std::min(hi, options.from_seq);
  }
  std::vector<Segment> segments = Lineage(*r->branch, hi);
  // Trim to [lo, hi]; Lineage already stops at hi.
  std::erase_if(segments, [&](const Segment& s) { return s.hi < lo; });
  for (Segment& s : segments) s.lo = std::max(s.lo, lo);
  return std::unique_ptr<EventIterator>(new SeqIterator(
      store_, r->branch->sid, std::move(segments), options.direction, options.corrections_only));
}

absl::StatusOr<std::unique_ptr<EventIterator>> RocksLedger::ReadByOccurred(
    std::string_view scenario, std::string_view branch, uint32_t from_key, uint32_t to_key,
    uint64_t max_seq, EventFields fields, uint64_t from_seq) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  uint64_t hi = r->branch->Head().seq;
  if (max_seq) hi = std::min(hi, max_seq);
  return std::unique_ptr<EventIterator>(new OccurredIterator(
      store_, r->branch->sid, Lineage(*r->branch, hi), from_key, from_seq, to_key, fields));
}

absl::StatusOr<v1::Event> RocksLedger::GetEvent(std::string_view scenario, std::string_view branch,
                                                uint64_t seq) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  auto e = EventAtSeq(*store_, r->branch->sid, Lineage(*r->branch, r->branch->Head().seq), seq);
  if (!e.ok()) return e.status();
  if (!e->has_value())
    return absl::NotFoundError(fmt::format("no event at seq {} in branch {} of scenario {}", seq,
                                           Quote(branch), Quote(scenario)));
  return **std::move(e);
}

absl::StatusOr<v1::Event> RocksLedger::FindEvent(std::string_view scenario, std::string_view branch,
                                                 std::string_view id) {
  auto r = Resolve(scenario, branch);
  if (!r.ok()) return r.status();
  const std::vector<Segment> segments = Lineage(*r->branch, r->branch->Head().seq);
  auto found = LookupId(*store_, r->branch->sid, segments, id);
  if (!found.ok()) return found.status();
  if (found->has_value()) {
    auto e = store_->GetEvent(r->branch->sid, (*found)->segment->bid, (*found)->location.seq);
    if (!e.ok()) return e.status();
    if (e->has_value()) return **std::move(e);
  }
  return absl::NotFoundError(fmt::format("no event {} in branch {} of scenario {}", Quote(id),
                                         Quote(branch), Quote(scenario)));
}

}  // namespace demarche::ledger
