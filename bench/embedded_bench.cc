#include "bench/embedded_bench.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "bench/stats.h"
#include "ledger/canonical.h"
#include "ledger/date.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/store.h"
#include "ledger/validate.h"
#include "replay/fold.h"
#include "replay/replay.h"
#include "replay/snapshot.h"

namespace demarche::bench {
namespace {

namespace fs = std::filesystem;
constexpr const char* kScenario = "bench";
constexpr const char* kMain = "main";

std::string Count(uint64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return fmt::format("{}M", n / 1000000);
  if (n >= 1000 && n % 1000 == 0) return fmt::format("{}k", n / 1000);
  return std::to_string(n);
}

struct Rng {  // splitmix64
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n ? Next() % n : 0; }
};

absl::StatusOr<std::unique_ptr<ledger::Ledger>> OpenLedger(const std::string& dir, bool sync) {
  ledger::Options o;
  o.sync = sync;
  return ledger::Ledger::Open(dir, o);
}

// Wall-clock seconds spent in the timed calls, and the process's CPU seconds
// over the same stretches (background RocksDB threads included; generating or
// reading the input is not counted in either).
struct Load {
  double busy = 0;
  double cpu = 0;
};

constexpr size_t kChunk = 10000;  // events prepared ahead of each timed stretch

// Appends `events` generated events to `scenario`/main in batches.
absl::StatusOr<Load> LoadLedger(ledger::Ledger* l, const std::string& scenario, uint64_t events,
                                size_t batch, GeneratorOptions g, bool progress) {
  g.events = events;
  Generator gen(g);
  if (auto s = l->CreateScenario(gen.MakeScenario(scenario), "bench"); !s.ok()) {
    return s.status();
  }
  Load load;
  uint64_t done = 0;
  uint64_t next_report = events / 5;
  std::vector<std::vector<v1::Event>> chunk;
  while (done < events) {
    chunk.clear();
    for (uint64_t planned = done; planned < events && planned - done < kChunk;) {
      const size_t n = std::min<uint64_t>(batch, events - planned);
      chunk.push_back(gen.NextBatch(n));
      planned += n;
    }
    const double cpu0 = ProcessCpuSeconds();
    for (auto& b : chunk) {
      const size_t n = b.size();
      const auto t0 = Clock::now();
      // The caller hands its events over, as a loader would.
      auto r = l->Append(scenario, kMain, std::move(b), ledger::kAnyHead, "bench");
      load.busy += SecondsSince(t0);
      if (!r.ok()) return r.status();
      done += n;
    }
    load.cpu += ProcessCpuSeconds() - cpu0;
    if (progress && done >= next_report && done < events) {
      Progress(fmt::format("  ledger: {} events, {:.0f} ev/s so far", done,
                           static_cast<double>(done) / load.busy));
      next_report += events / 5;
    }
  }
  return load;
}

// The raw RocksDB floor: the ledger's stored event bytes under the ledger's
// keys, in key order, written with the ledger's own Store options in
// WriteBatches of `batch`.
absl::StatusOr<Load> LoadFloor(const std::string& src_dir, const std::string& dst_dir, size_t batch,
                               bool sync, uint64_t limit) {
  ledger::Options o;
  o.sync = sync;
  auto src = ledger::Store::Open(src_dir, o);
  if (!src.ok()) return src.status();
  auto dst = ledger::Store::Open(dst_dir, o);
  if (!dst.ok()) return dst.status();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  std::unique_ptr<rocksdb::Iterator> it(
      (*src)->db->NewIterator(rocksdb::ReadOptions(), (*src)->events));
  Load load;
  uint64_t done = 0;
  std::vector<std::pair<std::string, std::string>> chunk;
  it->SeekToFirst();
  while (done < limit && it->Valid()) {
    chunk.clear();
    for (; it->Valid() && chunk.size() < kChunk && done + chunk.size() < limit; it->Next()) {
      chunk.emplace_back(it->key().ToString(), it->value().ToString());
    }
    const double cpu0 = ProcessCpuSeconds();
    rocksdb::WriteBatch wb;
    for (size_t i = 0; i < chunk.size(); ++i) {
      const auto t0 = Clock::now();
      wb.Put((*dst)->events, chunk[i].first, chunk[i].second);
      if (wb.Count() == static_cast<uint32_t>(batch) || i + 1 == chunk.size()) {
        auto s = (*dst)->db->Write(wo, &wb);
        if (!s.ok()) return ledger::FromRocks(s, "floor write");
        wb.Clear();
      }
      load.busy += SecondsSince(t0);
    }
    load.cpu += ProcessCpuSeconds() - cpu0;
    done += chunk.size();
  }
  if (!it->status().ok()) return ledger::FromRocks(it->status(), "floor source");
  return load;
}

// The floor with the ledger's whole write set: per event the stored event,
// its id-index entry and its date-index entry (with its copy of the event
// where the ledger keeps one), and per batch the branch head,
// the same keys and values the ledger writes, in WriteBatches of `batch`. The
// entries are derived from the ledger's stored events before the clock runs.
absl::StatusOr<Load> LoadFloorWriteSet(const std::string& src_dir, const std::string& dst_dir,
                                       size_t batch) {
  ledger::Options o;
  o.sync = false;
  auto src = ledger::Store::Open(src_dir, o);
  if (!src.ok()) return src.status();
  auto dst = ledger::Store::Open(dst_dir, o);
  if (!dst.ok()) return dst.status();
  rocksdb::WriteOptions wo;
  wo.sync = false;
  std::unique_ptr<rocksdb::Iterator> it(
      (*src)->db->NewIterator(rocksdb::ReadOptions(), (*src)->events));
  struct Entry {
    std::string event_key, event, id_key, id_value, date_key, date_value, head_key, head;
  };
  Load load;
  std::vector<Entry> chunk;
  v1::Event e;
  uint32_t high_water = 0;  // one branch: keys::CopiedInDateIndex's
  it->SeekToFirst();
  while (it->Valid()) {
    chunk.clear();
    for (; it->Valid() && chunk.size() < kChunk; it->Next()) {
      auto k = ledger::keys::DecodeEventKey(std::string_view(it->key().data(), it->key().size()));
      if (!k || !e.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
        return absl::DataLossError("floor: unreadable ledger event");
      const uint32_t sort_key = ledger::SortKey(e.occurred());
      const bool copied = ledger::keys::CopiedInDateIndex(sort_key, high_water);
      high_water = std::max(high_water, sort_key);
      chunk.push_back(
          Entry{it->key().ToString(), it->value().ToString(),
                ledger::keys::EncodeIdKey(k->sid, k->bid, e.id()),
                ledger::keys::EncodeIdLocation(
                    {k->seq, sort_key, ledger::PackReferenceTarget(ledger::ReferenceTargetOf(e))}),
                ledger::keys::EncodeDateKey({k->sid, k->bid, sort_key, k->seq}),
                copied ? it->value().ToString() : std::string(),
                ledger::keys::BranchHeadKey(k->sid, k->bid),
                ledger::keys::EncodeHead({k->seq, e.hash()})});
    }
    const double cpu0 = ProcessCpuSeconds();
    rocksdb::WriteBatch wb;
    uint32_t in_batch = 0;
    for (size_t i = 0; i < chunk.size(); ++i) {
      const auto t0 = Clock::now();
      const Entry& x = chunk[i];
      wb.Put((*dst)->events, x.event_key, x.event);
      wb.Put((*dst)->ids, x.id_key, x.id_value);
      wb.Put((*dst)->dates, x.date_key, x.date_value);
      if (++in_batch == static_cast<uint32_t>(batch) || i + 1 == chunk.size()) {
        wb.Put((*dst)->branches, x.head_key, x.head);
        auto s = (*dst)->db->Write(wo, &wb);
        if (!s.ok()) return ledger::FromRocks(s, "floor write");
        wb.Clear();
        in_batch = 0;
      }
      load.busy += SecondsSince(t0);
    }
    load.cpu += ProcessCpuSeconds() - cpu0;
  }
  if (!it->status().ok()) return ledger::FromRocks(it->status(), "floor source");
  return load;
}

void EmitCpu(const std::string& workload, const std::string& system, const std::string& variant,
             int rep, uint64_t n, double cpu_s, const std::string& note) {
  Emit({workload, system, variant, "cpu_us_per_event", cpu_s * 1e6 / static_cast<double>(n), "us",
        rep, note});
}

enum class ScanMode { kScan, kParse, kParseHash };

// Scans the floor's events in key order: touch the bytes, or parse them, or
// parse and SHA-256 them.
struct Scan {
  uint64_t events = 0;
  double seconds = 0;
  double cpu = 0;
};
absl::StatusOr<Scan> ScanFloor(const std::string& dir, ScanMode mode) {
  auto st = ledger::Store::Open(dir, ledger::Options{});
  if (!st.ok()) return st.status();
  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = Clock::now();
  std::unique_ptr<rocksdb::Iterator> it(
      (*st)->db->NewIterator(rocksdb::ReadOptions(), (*st)->events));
  uint64_t n = 0, bytes = 0;
  v1::Event e;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice v = it->value();
    bytes += v.size() + it->key().size();
    if (mode != ScanMode::kScan) {
      if (!e.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        return absl::DataLossError("floor: unparsable event");
      }
      if (mode == ScanMode::kParseHash) {
        const std::string h = ledger::Sha256(std::string_view(v.data(), v.size()));
        bytes += h.size();
      }
    }
    ++n;
  }
  if (!it->status().ok()) return ledger::FromRocks(it->status(), "floor scan");
  const double secs = SecondsSince(t0);
  if (bytes == 0 && n) return absl::InternalError("floor scan saw no bytes");
  return Scan{n, secs, ProcessCpuSeconds() - cpu0};
}

v1::PartialDate RandomDay(Rng& rng, const GeneratorOptions& g) {
  v1::PartialDate d;
  d.set_year(g.start_year + static_cast<int>(rng.Below(g.end_year - g.start_year + 1)));
  d.set_month(1 + static_cast<int>(rng.Below(12)));
  d.set_day(1 + static_cast<int>(rng.Below(28)));
  return d;
}

void EmitRate(const std::string& workload, const std::string& system, const std::string& variant,
              int rep, uint64_t n, double secs, const std::string& note) {
  Emit({workload, system, variant, "events_per_s", static_cast<double>(n) / secs, "ev/s", rep,
        fmt::format("{} events in {:.3f} s{}{}", n, secs, note.empty() ? "" : "; ", note)});
}

void EmitLatency(const std::string& workload, const std::string& system, const std::string& variant,
                 int rep, std::vector<double>& ms, const std::string& note) {
  const size_t n = ms.size();
  Emit({workload, system, variant, "p50_ms", Quantile(ms, 0.5), "ms", rep,
        fmt::format("{} samples{}{}", n, note.empty() ? "" : "; ", note)});
  Emit({workload, system, variant, "p99_ms", Quantile(ms, 0.99), "ms", rep, ""});
}

// ---- the workloads ------------------------------------------------------------

// With measure = false, only the first load (the data the other phases use).
absl::Status BulkAppend(const EmbeddedOptions& o, const std::string& main_dir, bool measure) {
  for (int rep = 1; rep <= (measure ? o.repeats : 1); ++rep) {
    const std::string ldir = rep == 1 ? main_dir : fmt::format("{}/ledger-{}", o.workdir, rep);
    const std::string fdir = fmt::format("{}/floor-{}", o.workdir, rep);
    Progress(fmt::format("bulk append: {} events in batches of {}, sync off (rep {})", o.events,
                         o.batch, rep));
    {
      auto l = OpenLedger(ldir, false);
      if (!l.ok()) return l.status();
      auto busy = LoadLedger(l->get(), kScenario, o.events, o.batch, o.generator, true);
      if (!busy.ok()) return busy.status();
      EmitRate("bulk_append", "demarche-embedded", "sync=off", rep, o.events, busy->busy,
               fmt::format("batches of {}", o.batch));
      EmitCpu("bulk_append", "demarche-embedded", "sync=off", rep, o.events, busy->cpu,
              "process CPU (all threads) while appending");
    }
    Emit({"disk_bytes_per_event", "demarche-embedded", "", "bytes",
          static_cast<double>(DirBytes(ldir)) / static_cast<double>(o.events), "B", rep,
          "data directory after the bulk load (events, indexes, WAL)"});
    Progress(fmt::format("bulk append floor: raw RocksDB, same bytes and keys (rep {})", rep));
    auto fbusy = LoadFloor(main_dir, fdir, o.batch, false, UINT64_MAX);
    if (!fbusy.ok()) return fbusy.status();
    EmitRate("bulk_append", "rocksdb-floor", "sync=off", rep, o.events, fbusy->busy,
             "WriteBatch of the ledger's stored events, ledger Store options");
    EmitCpu("bulk_append", "rocksdb-floor", "sync=off", rep, o.events, fbusy->cpu,
            "process CPU (all threads) while writing");
    Emit({"disk_bytes_per_event", "rocksdb-floor", "", "bytes",
          static_cast<double>(DirBytes(fdir)) / static_cast<double>(o.events), "B", rep, ""});
    {
      Progress(fmt::format("bulk append floor: raw RocksDB, the ledger's whole write set (rep {})",
                           rep));
      const std::string wdir = fmt::format("{}/floor-writeset-{}", o.workdir, rep);
      auto wbusy = LoadFloorWriteSet(main_dir, wdir, o.batch);
      if (!wbusy.ok()) return wbusy.status();
      EmitRate("bulk_append", "rocksdb-floor", "sync=off write-set", rep, o.events, wbusy->busy,
               "WriteBatch of the ledger's stored events plus their id- and date-index entries "
               "and the branch head per batch: every key and value the ledger writes");
      EmitCpu("bulk_append", "rocksdb-floor", "sync=off write-set", rep, o.events, wbusy->cpu,
              "process CPU (all threads) while writing");
      fs::remove_all(wdir);
    }
    if (rep > 1) fs::remove_all(ldir);
    if (rep > 1) fs::remove_all(fdir);
  }
  // Durable variant: every batch fsyncs the WAL; batches of o.batch and of
  // 1000 (the floor of a durable streaming append is the disk's synced write
  // bandwidth).
  const uint64_t n = measure ? std::min(o.sync_events, o.events) : 0;
  for (int rep = 1; n > 0 && rep <= o.repeats; ++rep) {
    for (size_t batch : {o.batch, size_t{1000}}) {
      const std::string ldir = fmt::format("{}/ledger-sync", o.workdir);
      const std::string fdir = fmt::format("{}/floor-sync", o.workdir);
      const std::string variant =
          batch == o.batch ? "sync=on" : fmt::format("sync=on batch={}", batch);
      Progress(
          fmt::format("bulk append: {} events in batches of {}, sync on (rep {})", n, batch, rep));
      {
        auto l = OpenLedger(ldir, true);
        if (!l.ok()) return l.status();
        auto busy = LoadLedger(l->get(), kScenario, n, batch, o.generator, false);
        if (!busy.ok()) return busy.status();
        EmitRate("bulk_append", "demarche-embedded", variant, rep, n, busy->busy,
                 fmt::format("batches of {}, WAL fsync per batch", batch));
        EmitCpu("bulk_append", "demarche-embedded", variant, rep, n, busy->cpu, "");
      }
      auto fbusy = LoadFloor(main_dir, fdir, batch, true, n);
      if (!fbusy.ok()) return fbusy.status();
      EmitRate("bulk_append", "rocksdb-floor", variant, rep, n, fbusy->busy,
               fmt::format("batches of {}, WAL fsync per batch", batch));
      EmitCpu("bulk_append", "rocksdb-floor", variant, rep, n, fbusy->cpu, "");
      fs::remove_all(ldir);
      fs::remove_all(fdir);
    }
  }
  return absl::OkStatus();
}

absl::Status ReplayAndVerify(const EmbeddedOptions& o, const std::string& main_dir,
                             const std::string& floor_dir) {
  for (int rep = 1; rep <= o.repeats; ++rep) {
    Progress(fmt::format("floor scans (rep {})", rep));
    for (auto [mode, name] :
         {std::pair{ScanMode::kScan, "scan"}, std::pair{ScanMode::kParse, "scan+parse"},
          std::pair{ScanMode::kParseHash, "scan+parse+sha256"}}) {
      auto r = ScanFloor(floor_dir, mode);
      if (!r.ok()) return r.status();
      EmitRate("floor_scan", "rocksdb-floor", name, rep, r->events, r->seconds,
               "iterator over the events column family");
      EmitCpu("floor_scan", "rocksdb-floor", name, rep, r->events, r->cpu, "");
    }
  }
  auto l = OpenLedger(main_dir, true);
  if (!l.ok()) return l.status();
  for (int rep = 1; rep <= o.repeats; ++rep) {
    Progress(fmt::format("ledger read, full replay, verify (rep {})", rep));
    {
      const double cpu0 = ProcessCpuSeconds();
      auto t0 = Clock::now();
      auto it = (*l)->Read(kScenario, kMain, ledger::ReadOptions{});
      if (!it.ok()) return it.status();
      uint64_t n = 0;
      for (; (*it)->Valid(); (*it)->Next()) ++n;
      if (!(*it)->status().ok()) return (*it)->status();
      EmitRate("read_stream", "demarche-embedded", "", rep, n, SecondsSince(t0),
               "Ledger::Read, seq order");
      EmitCpu("read_stream", "demarche-embedded", "", rep, n, ProcessCpuSeconds() - cpu0, "");
    }
    {
      replay::EngineOptions eo;
      eo.snapshot_every = 0;
      eo.use_snapshots = false;
      replay::Engine engine(l->get(), eo);
      replay::StateQuery q;
      q.scenario = kScenario;
      const double cpu0 = ProcessCpuSeconds();
      auto t0 = Clock::now();
      auto s = engine.StateAt(q);
      const double secs = SecondsSince(t0);
      const double cpu = ProcessCpuSeconds() - cpu0;
      if (!s.ok()) return s.status();
      EmitRate("full_replay", "demarche-embedded", "", rep, o.events, secs,
               fmt::format("Engine::StateAt, no snapshots; state {} bytes", s->ByteSizeLong()));
      EmitCpu("full_replay", "demarche-embedded", "", rep, o.events, cpu, "");
    }
    {
      const double cpu0 = ProcessCpuSeconds();
      auto t0 = Clock::now();
      auto v = (*l)->Verify(kScenario, kMain);
      const double secs = SecondsSince(t0);
      const double cpu = ProcessCpuSeconds() - cpu0;
      if (!v.ok()) return v.status();
      if (!v->ok) return absl::DataLossError(fmt::format("verify failed: {}", v->reason));
      EmitRate("verify", "demarche-embedded", "", rep, v->checked, secs, "Ledger::Verify");
      EmitCpu("verify", "demarche-embedded", "", rep, v->checked, cpu, "");
    }
  }
  return absl::OkStatus();
}

// Where a full replay's time goes: read the branch in fold order
// (ReadByOccurred), fold it with the pure fold alone (no corrections, no
// snapshots), and turn the state into its proto and a snapshot. Also how the
// state grows with the branch.
absl::Status FoldBreakdown(const EmbeddedOptions& o, const std::string& main_dir) {
  auto l = OpenLedger(main_dir, true);
  if (!l.ok()) return l.status();
  auto sc = (*l)->GetScenario(kScenario);
  if (!sc.ok()) return sc.status();
  std::vector<std::string> roster;
  for (const auto& p : sc->roster()) roster.push_back(p.code());
  for (int rep = 1; rep <= o.repeats; ++rep) {
    Progress(
        fmt::format("fold breakdown: read in fold order, pure fold, state size (rep {})", rep));
    // As the replay reads it: the fields a fold uses.
    auto it = (*l)->ReadByOccurred(kScenario, kMain, ledger::kMinDateKey, ledger::kMaxDateKey, 0,
                                   ledger::EventFields::kMove, 0);
    if (!it.ok()) return it.status();
    replay::FoldState state(roster);
    double fold_s = 0;
    double probe_s = 0;  // the state_size checkpoints, not part of the read
    uint64_t n = 0;
    const uint64_t checkpoint = std::max<uint64_t>(1, o.events / 10);
    const auto t0 = Clock::now();
    for (; (*it)->Valid(); (*it)->Next()) {
      const auto f0 = Clock::now();
      state.Apply((*it)->event());
      fold_s += SecondsSince(f0);
      if (++n % checkpoint == 0 && rep == 1) {
        const auto p0 = Clock::now();
        const size_t bytes = state.ToProto().ByteSizeLong();
        const double proto_s = SecondsSince(p0);
        Emit({"state_size", "demarche-embedded", fmt::format("after={}", Count(n)), "bytes",
              static_cast<double>(bytes), "B", rep,
              fmt::format("ScenarioState of every party after folding the first {} events; "
                          "ToProto took {:.1f} ms",
                          n, proto_s * 1e3)});
        probe_s += SecondsSince(p0);
      }
    }
    if (!(*it)->status().ok()) return (*it)->status();
    const double total = SecondsSince(t0) - fold_s - probe_s;
    EmitRate("read_by_occurred", "demarche-embedded", "", rep, n, total,
             "Ledger::ReadByOccurred (date index + event lookups), fold time excluded");
    EmitRate("fold_only", "demarche-embedded", "", rep, n, fold_s,
             "FoldState::Apply alone on the same events");
    const auto p0 = Clock::now();
    v1::ScenarioState proto = state.ToProto();
    const double to_proto = SecondsSince(p0);
    const auto e0 = Clock::now();
    const std::string snap = replay::EncodeSnapshot(state, replay::Position{}, n);
    const double encode = SecondsSince(e0);
    const auto d0 = Clock::now();
    auto decoded = replay::DecodeSnapshot(snap);
    const double decode = SecondsSince(d0);
    if (!decoded) return absl::InternalError("snapshot does not decode");
    Emit({"state_to_proto", "demarche-embedded", "", "ms", to_proto * 1e3, "ms", rep,
          fmt::format("ScenarioState of {} bytes", proto.ByteSizeLong())});
    Emit({"snapshot_codec", "demarche-embedded", "encode", "ms", encode * 1e3, "ms", rep,
          fmt::format("snapshot of {} bytes", snap.size())});
    Emit({"snapshot_codec", "demarche-embedded", "decode", "ms", decode * 1e3, "ms", rep, ""});
  }
  return absl::OkStatus();
}

replay::FieldSet FieldsOf(const std::vector<std::string>& names) {
  replay::FieldSet set = replay::FieldSet::None();
  for (const std::string& n : names) set.Add(*replay::FieldByName(n));
  return set.Folded();
}

// The lists whose size the roster and the vocabulary bound, not the
// branch's length (offers, flows and concessions grow with it): where each
// party stands. Asked for by GetStateRequest.fields, answered from
// snapshots of their own at the engine's default spacing, as a server keeps
// them.
absl::Status StandingAsOf(const EmbeddedOptions& o, ledger::Ledger* l, Rng& rng) {
  const std::vector<std::string> standing = {
      "positions", "agreements", "sanctions_imposed", "sanctions_suffered", "relations", "forums"};
  const std::string variant = "fields=standing snapshots=default";
  replay::Engine engine(l, replay::EngineOptions{});
  replay::StateQuery q;
  q.scenario = kScenario;
  q.fields = standing;
  {
    Progress("state as of, the bounded lists: building their snapshots with one full fold");
    auto t0 = Clock::now();
    auto s = engine.StateAt(q);
    if (!s.ok()) return s.status();
    Emit({"snapshot_build", "demarche-embedded", variant, "seconds", SecondsSince(t0), "s", 1,
          "first full fold of the bounded lists, writing their snapshots at the default spacing"});
    // Their stored values, walked back from the last: the data directory's
    // growth would also count the flushes and compactions under way.
    const replay::FieldSet folded = FieldsOf(standing);
    uint64_t count = 0, bytes = 0;
    std::string key = replay::SnapshotKey(folded, {UINT32_MAX, UINT64_MAX});
    for (;;) {
      auto found = l->SeekSnapshot(kScenario, kMain, key);
      if (!found.ok()) return found.status();
      if (!found->has_value()) break;
      auto parts = replay::ParseSnapshotKey((*found)->first);
      if (!parts || parts->folded != folded) break;
      ++count;
      bytes += (*found)->second.size();
      if (parts->pos.seq == 0 && parts->pos.key == 0) break;
      key = parts->pos.seq > 0 ? replay::SnapshotKey(folded, {parts->pos.key, parts->pos.seq - 1})
                               : replay::SnapshotKey(folded, {parts->pos.key - 1, UINT64_MAX});
    }
    Emit({"snapshot_build", "demarche-embedded", variant, "bytes", static_cast<double>(bytes), "B",
          1, fmt::format("{} snapshots, their values' bytes (before RocksDB's LZ4)", count)});
    Emit({"snapshot_build", "demarche-embedded", variant, "count", static_cast<double>(count), "",
          1, "snapshots of the bounded lists"});
    Emit({"state_size", "demarche-embedded", "fields=standing", "bytes",
          static_cast<double>(s->ByteSizeLong()), "B", 1,
          "the answer for the bounded lists, all parties, at the head"});
  }
  for (int rep = 1; rep <= o.repeats; ++rep) {
    Progress(fmt::format("state as of a random date, the bounded lists, {} queries (rep {})",
                         o.queries_standing, rep));
    std::vector<double> ms;
    for (int i = 0; i < o.queries_standing; ++i) {
      q.as_of = RandomDay(rng, o.generator);
      auto t0 = Clock::now();
      auto s = engine.StateAt(q);
      ms.push_back(SecondsSince(t0) * 1e3);
      if (!s.ok()) return s.status();
    }
    EmitLatency("state_as_of", "demarche-embedded", variant, rep, ms,
                fmt::format("fields: {}", fmt::join(standing, ", ")));
  }
  return absl::OkStatus();
}

absl::Status StateAsOf(const EmbeddedOptions& o, const std::string& main_dir) {
  auto l = OpenLedger(main_dir, true);
  if (!l.ok()) return l.status();
  Rng rng{o.generator.seed * 31 + 5};
  for (int rep = 1; rep <= o.repeats; ++rep) {
    Progress(fmt::format("state as of a random date, no snapshots, {} queries (rep {})",
                         o.queries_no_snapshot, rep));
    replay::EngineOptions none;
    none.snapshot_every = 0;
    none.use_snapshots = false;
    replay::Engine plain(l->get(), none);
    std::vector<double> ms;
    for (int i = 0; i < o.queries_no_snapshot; ++i) {
      replay::StateQuery q;
      q.scenario = kScenario;
      q.as_of = RandomDay(rng, o.generator);
      auto t0 = Clock::now();
      auto s = plain.StateAt(q);
      ms.push_back(SecondsSince(t0) * 1e3);
      if (!s.ok()) return s.status();
    }
    EmitLatency("state_as_of", "demarche-embedded", "snapshots=off", rep, ms, "");
  }
  // Snapshots: built by a first full fold, then queried.
  replay::EngineOptions with;
  const uint64_t every = o.snapshot_every     ? o.snapshot_every
                         : o.events <= 100000 ? with.snapshot_every
                                              : o.events / 20;
  with.snapshot_every = every;
  // Exactly every N events, as the variant says.
  with.snapshot_bytes_per_event = 0;
  with.small_state_bytes_per_event = 0;
  const std::string variant = fmt::format("snapshots=on every={}", Count(every));
  replay::Engine engine(l->get(), with);
  const uint64_t before = DirBytes(main_dir);
  {
    Progress(
        fmt::format("state as of: building snapshots (every {} events) with one full fold", every));
    replay::StateQuery q;
    q.scenario = kScenario;
    auto t0 = Clock::now();
    auto s = engine.StateAt(q);
    if (!s.ok()) return s.status();
    Emit({"snapshot_build", "demarche-embedded", variant, "seconds", SecondsSince(t0), "s", 1,
          fmt::format("first full fold, writing a snapshot every {} events", every)});
  }
  Emit({"snapshot_build", "demarche-embedded", variant, "bytes",
        static_cast<double>(DirBytes(main_dir)) - static_cast<double>(before), "B", 1,
        "data directory growth (WAL + SST), approximate"});
  if (every != with.snapshot_every && o.events > 100000) {
    // The engine's default interval on the first 50k and 100k events of the
    // branch (forks after those seqs): how the cost of building snapshots
    // grows with the branch.
    for (uint64_t upto : {uint64_t{50000}, uint64_t{100000}}) {
      const std::string fork = fmt::format("asof-first-{}", Count(upto));
      auto b = (*l)->CreateBranch(kScenario, fork, kMain, upto, std::nullopt, "bench",
                                  "the first events only, for the snapshot cost");
      if (!b.ok()) return b.status();
      Progress(fmt::format("state as of: snapshots every {} events over the first {} events",
                           replay::EngineOptions{}.snapshot_every, upto));
      replay::Engine dflt(l->get(), replay::EngineOptions{});
      replay::StateQuery q;
      q.scenario = kScenario;
      q.branch = fork;
      auto t0 = Clock::now();
      auto s = dflt.StateAt(q);
      if (!s.ok()) return s.status();
      Emit({"snapshot_build", "demarche-embedded",
            fmt::format("every={} first={}", Count(replay::EngineOptions{}.snapshot_every),
                        Count(upto)),
            "seconds", SecondsSince(t0), "s", 1,
            fmt::format("one fold with the engine's default spacing (at least {} events, and "
                        "one per {} B of the last snapshot, {} B under {} B)",
                        replay::EngineOptions{}.snapshot_every,
                        replay::EngineOptions{}.snapshot_bytes_per_event,
                        replay::EngineOptions{}.small_state_bytes_per_event,
                        replay::EngineOptions{}.small_state_bytes)});
    }
  }

  for (int rep = 1; rep <= o.repeats; ++rep) {
    Progress(
        fmt::format("state as of a random date, snapshots, {} queries (rep {})", o.queries, rep));
    std::vector<double> ms;
    for (int i = 0; i < o.queries; ++i) {
      replay::StateQuery q;
      q.scenario = kScenario;
      q.as_of = RandomDay(rng, o.generator);
      auto t0 = Clock::now();
      auto s = engine.StateAt(q);
      ms.push_back(SecondsSince(t0) * 1e3);
      if (!s.ok()) return s.status();
    }
    EmitLatency("state_as_of", "demarche-embedded", variant, rep, ms, "");
  }
  return StandingAsOf(o, l->get(), rng);
}

// Synced single Put latency of raw RocksDB: the floor of any durable write.
absl::Status PutFloor(const std::string& floor_dir, bool sync, int rep, int samples) {
  ledger::Options o;
  o.sync = sync;
  auto st = ledger::Store::Open(floor_dir, o);
  if (!st.ok()) return st.status();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  std::vector<double> ms;
  const std::string value(120, 'b');
  for (int i = 0; i < samples; ++i) {
    const std::string key = fmt::format("floor-put-{}-{}-{:06}", sync, rep, i);
    auto t0 = Clock::now();
    auto s = (*st)->db->Put(wo, (*st)->branches, key, value);
    ms.push_back(SecondsSince(t0) * 1e3);
    if (!s.ok()) return ledger::FromRocks(s, "floor put");
  }
  EmitLatency("create_branch", "rocksdb-floor", sync ? "sync=on" : "sync=off", rep, ms,
              "one Put of a 120-byte value");
  return absl::OkStatus();
}

absl::Status Branches(const EmbeddedOptions& o, const std::string& main_dir,
                      const std::string& floor_dir) {
  // Parents of 1k and 100k events beside the big one (when smaller than it).
  std::vector<std::pair<std::string, uint64_t>> parents;
  {
    auto l = OpenLedger(main_dir, false);
    if (!l.ok()) return l.status();
    for (uint64_t n : {uint64_t{1000}, uint64_t{100000}}) {
      if (n >= o.events) continue;
      const std::string name = fmt::format("parent-{}", Count(n));
      Progress(fmt::format("branches: loading a parent of {} events", n));
      GeneratorOptions g = o.generator;
      g.seed += n;
      auto busy = LoadLedger(l->get(), name, n, o.batch, g, false);
      if (!busy.ok()) return busy.status();
      parents.emplace_back(name, n);
    }
  }
  parents.emplace_back(kScenario, o.events);
  Rng rng{o.generator.seed * 17 + 3};
  for (int rep = 1; rep <= o.repeats; ++rep) {
    for (bool sync : {true, false}) {
      const std::string sv = sync ? "sync=on" : "sync=off";
      auto l = OpenLedger(main_dir, sync);
      if (!l.ok()) return l.status();
      for (const auto& [scenario, n] : parents) {
        Progress(fmt::format("branches: {} forks of a {}-event parent, {} (rep {})",
                             o.branch_samples, Count(n), sv, rep));
        std::vector<double> ms;
        const auto wal0 = WalSizes(main_dir);
        for (int i = 0; i < o.branch_samples; ++i) {
          const std::string name = fmt::format("fork-{}-{}-{}", sync ? "s" : "n", rep, i);
          const uint64_t at = rng.Below(n + 1);
          auto t0 = Clock::now();
          auto b = (*l)->CreateBranch(scenario, name, kMain, at, std::nullopt, "bench",
                                      "benchmark fork");
          ms.push_back(SecondsSince(t0) * 1e3);
          if (!b.ok()) return b.status();
        }
        const double per = static_cast<double>(WalBytesSince(main_dir, wal0)) / o.branch_samples;
        const std::string variant = fmt::format("parent={} {}", Count(n), sv);
        EmitLatency("create_branch", "demarche-embedded", variant, rep, ms, "");
        Emit({"create_branch", "demarche-embedded", variant, "bytes_per_branch", per, "B", rep,
              "bytes appended to the WAL per branch (the branch record and its head)"});
        if (!sync) {
          // What a fork reads: the parent's event at the fork point (its
          // hash is the new branch's first link), timed alone at random
          // points of the same parent. It is the part of a fork whose cost
          // can depend on the parent's size: block cache hits grow rarer.
          std::vector<double> read_ms;
          for (int i = 0; i < o.branch_samples; ++i) {
            const uint64_t at = 1 + rng.Below(n);
            auto t0 = Clock::now();
            auto e = (*l)->GetEvent(scenario, kMain, at);
            read_ms.push_back(SecondsSince(t0) * 1e3);
            if (!e.ok()) return e.status();
          }
          EmitLatency("fork_point_read", "demarche-embedded", fmt::format("parent={}", Count(n)),
                      rep, read_ms, "GetEvent of the parent's event at a random seq");
        }
      }
    }
    for (bool sync : {true, false}) {
      if (auto s = PutFloor(floor_dir, sync, rep, o.branch_samples); !s.ok()) return s;
    }
    // Many branches, durable (as the server runs).
    {
      auto l = OpenLedger(main_dir, true);
      if (!l.ok()) return l.status();
      Progress(fmt::format("branches: {} forks of the {}-event branch, sync on (rep {})",
                           o.branches, Count(o.events), rep));
      std::vector<double> ms;
      const auto wal0 = WalSizes(main_dir);
      for (int i = 0; i < o.branches; ++i) {
        const std::string name = fmt::format("many-{}-{:05}", rep, i);
        auto t0 = Clock::now();
        auto b = (*l)->CreateBranch(kScenario, name, kMain, rng.Below(o.events + 1), std::nullopt,
                                    "bench", "one of many");
        ms.push_back(SecondsSince(t0) * 1e3);
        if (!b.ok()) return b.status();
      }
      const double per = static_cast<double>(WalBytesSince(main_dir, wal0)) / o.branches;
      const size_t tenth = std::max<size_t>(1, ms.size() / 10);
      std::vector<double> first(ms.begin(), ms.begin() + static_cast<long>(tenth));
      std::vector<double> last(ms.end() - static_cast<long>(tenth), ms.end());
      const std::string variant = fmt::format("branches={}", Count(o.branches));
      std::vector<double> all = ms;
      EmitLatency("many_branches", "demarche-embedded", variant, rep, all, "sync on");
      Emit({"many_branches", "demarche-embedded", variant, "max_ms",
            *std::max_element(ms.begin(), ms.end()), "ms", rep, ""});
      Emit({"many_branches", "demarche-embedded", variant, "first_tenth_p50_ms",
            Quantile(first, 0.5), "ms", rep, "median of the first 10% created"});
      Emit({"many_branches", "demarche-embedded", variant, "last_tenth_p50_ms", Quantile(last, 0.5),
            "ms", rep, "median of the last 10% created"});
      Emit({"many_branches", "demarche-embedded", variant, "bytes_per_branch", per, "B", rep,
            "bytes appended to the WAL per branch (the branch record and its head)"});
      auto t0 = Clock::now();
      auto list = (*l)->ListBranches(kScenario);
      if (!list.ok()) return list.status();
      Emit({"list_branches", "demarche-embedded", "", "seconds", SecondsSince(t0), "s", rep,
            fmt::format("{} branches", list->size())});
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunEmbeddedBench(const EmbeddedOptions& o) {
  fs::remove_all(o.workdir);
  fs::create_directories(o.workdir);
  const std::string main_dir = fmt::format("{}/ledger-1", o.workdir);
  const std::string floor_dir = fmt::format("{}/floor-1", o.workdir);
  const auto has = [&](const char* phase) {
    return fmt::format(",{},", o.phases).find(fmt::format(",{},", phase)) != std::string::npos;
  };
  absl::Status st = BulkAppend(o, main_dir, has("bulk"));
  if (st.ok() && has("replay")) st = ReplayAndVerify(o, main_dir, floor_dir);
  if (st.ok() && has("fold")) st = FoldBreakdown(o, main_dir);
  if (st.ok() && has("asof")) st = StateAsOf(o, main_dir);
  if (st.ok() && has("branches")) st = Branches(o, main_dir, floor_dir);
  fs::remove_all(o.workdir);
  return st;
}

}  // namespace demarche::bench
