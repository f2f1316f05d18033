// demarche replay: rebuilds every party's state at any date ("as of", valid
// time) and as the ledger knew it at any seq ("known at", transaction time).
//
// The fold itself (replay/fold.h) is pure; Engine reads a branch through the
// ledger, applies corrections and retractions, and keeps snapshots so a query
// folds only what lies after the nearest one.
//
// Rules:
// - As of D: an event is visible iff the start of its occurred period is on or
//   before D (SortKey(occurred) <= SortKey(D)). A partial D means "by the end
//   of that period": as_of 2003-12 = as of 2003-12-31, so a 2003-12 event is
//   visible from 2003-12-01 on and not on 2003-11-30.
// - Known at K: only events with seq <= K count, corrections included
//   (transaction time). A correction applies retroactively in valid time: as
//   of an earlier date, known at a seq that includes it, the corrected event
//   reads as corrected (replay/corrections.h has the rules).
// - ScenarioState.precision: "day" (exact), or "month"/"year" when a folded
//   event of that precision lies in a period that has not ended by as_of.
// - ScenarioState.known_at: the seq bound used (the head when 0 was asked).
// - Snapshots (replay/engine.cc): spaced by EngineOptions, per branch,
//   written by queries known at the head; a backdated append or a
//   correction makes the snapshots it would change stale: they are not used
//   and are deleted. Branches share no snapshots.
// - StateQuery.fields: a query for some of a party's lists folds only the
//   parts of the fold they need (FieldSet::Folded) and keeps snapshots of
//   its own for that set, which stay as small as those lists.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "demarche/v1/state.pb.h"
#include "ledger/ledger.h"
#include "replay/fields.h"

namespace demarche::replay {

struct EngineOptions {
  // Store a snapshot after at least this many folded events per branch
  // (0 = never), and after at least one folded event per
  // `snapshot_bytes_per_event` bytes of the previous snapshot: the state
  // grows with the branch, so encoding a snapshot every N events would cost
  // more than folding them (quadratic on long branches). With the ratio, the
  // snapshots of a growing branch are spaced geometrically and writing them
  // costs a bounded fraction of the fold. Snapshots are taken where a sort
  // key's events end, and also after a key with at least a quarter of that
  // spacing's events (the start of a month or year, where the events of
  // that precision sort).
  uint64_t snapshot_every = 250;
  uint64_t snapshot_bytes_per_event = 32;
  // A state smaller than `small_state_bytes` is snapshotted more densely,
  // after one folded event per `small_state_bytes_per_event` bytes (0 = no
  // size rule for them): a query for the bounded lists (GetStateRequest.
  // fields) folds what lies after its snapshot, so their snapshots (42 kB on
  // a 1M-event branch) come every 330 events and such a query takes about
  // 1 ms. The whole state outgrows the limit early; at 128 B per event its
  // snapshots of tens of MB would come 4x as often and raised a server's
  // peak memory by a third (bench/NOTES.md).
  uint64_t small_state_bytes = 1 << 20;
  uint64_t small_state_bytes_per_event = 128;
  // Use stored snapshots when answering (off = always fold from the start;
  // for benchmarks and the equivalence tests).
  bool use_snapshots = true;
};

struct StateQuery {
  std::string scenario;
  std::string branch = "main";
  // Events whose occurred date (start of its period) is on or before this
  // date. Unset = all events.
  std::optional<v1::PartialDate> as_of;
  // Only events with seq <= known_at. 0 = the branch head.
  uint64_t known_at = 0;
  // Party codes to return; empty = all in the roster.
  std::vector<std::string> parties;
  // PartyState list names to return ("positions", "relations", ...); empty
  // = every list.
  std::vector<std::string> fields;
  // Polled while folding; once it returns true the query stops with
  // CANCELLED (a client that went away should not keep a core busy).
  std::function<bool()> cancelled;
};

class Engine {
 public:
  // `ledger` must outlive the engine. Thread-safe.
  explicit Engine(ledger::Ledger* ledger, EngineOptions options = {});
  ~Engine();

  // The state of the parties as of a date and known at a seq.
  // INVALID_ARGUMENT for a bad date, an unknown party or an unknown list
  // name; NOT_FOUND for an unknown
  // scenario or branch; OUT_OF_RANGE if known_at is beyond the head.
  absl::StatusOr<v1::ScenarioState> StateAt(const StateQuery& query);

  // The per-event state changes of events occurring in [from, to] (unset =
  // open-ended), in fold order: the events visible as of the end of `to` but
  // not yet as of the day before `from` begins. Each step's changes are the
  // items the event changed (FieldChange.event_ids = the event). `sink`
  // returns false to stop early. INVALID_ARGUMENT for a bad date or `to`
  // before `from`; otherwise errors as StateAt (`cancelled` as there).
  absl::Status Timeline(const std::string& scenario, const std::string& branch,
                        const std::optional<v1::PartialDate>& from,
                        const std::optional<v1::PartialDate>& to, uint64_t known_at,
                        const std::function<bool(const v1::TimelineStep&)>& sink,
                        const std::function<bool()>& cancelled = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// StateQuery.fields as a set (none = every list). INVALID_ARGUMENT naming
// "fields[i]" for a name that is not a PartyState list.
absl::StatusOr<FieldSet> ParseFields(const std::vector<std::string>& names);

// Structured per-party differences between two states, with the events that
// explain each difference. Pure.
v1::StateDiff Diff(const v1::ScenarioState& a, const v1::ScenarioState& b);

}  // namespace demarche::replay
