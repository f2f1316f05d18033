// The pure fold: ScenarioState <- ScenarioState x Event, over a branch's
// events in (occurred sort key, seq) order. No storage, no RPC: events come in
// already ordered and already corrected (see replay/corrections.h).
//
// What each move does to the party state (v1::PartyState):
// - statement: each actor's position on the issue := (stance, words, event).
// - demand: an Offer (kind "demand", status OPEN) in demands_made of each
//   actor and demands_faced of each recipient. Demand.offers -> in_return.
// - proposal: an Offer (kind "proposal", OPEN) in proposals_made /
//   proposals_received. `supersedes` names an earlier proposal sharing a
//   maker: it becomes SUPERSEDED (unless already WITHDRAWN or SUPERSEDED).
// - response to an offer of the state (otherwise no effect on offers):
//   ACCEPT / REJECT by actors that are not its makers add them to
//   accepted_by / rejected_by (a party that changes its mind moves from one
//   list to the other). A proposal takes the outcome of the latest such
//   response (ACCEPTED or REJECTED); a demand is ACCEPTED ("met") while any
//   party accepts it and otherwise stays OPEN, rejected_by saying who refused.
//   WITHDRAW by a maker -> WITHDRAWN. WITHDRAWN and SUPERSEDED are final.
// - agreement: SIGN puts actors + recipients in force (a party already in
//   force keeps its first signing) and adds them to the agreement's parties;
//   title and terms follow the latest signing that names them. WITHDRAW ends
//   it for the actors; LAPSE for every party still in force.
// - consult: contact between every pair of participants (actors and
//   recipients); a bilateral, summit, secret or phone consult opens a direct
//   channel between them; a consult held in a forum makes the participants
//   that are not members take part in it from that event.
// - aid: flows by (counterpart, commodity, unit) in aid_given of each actor
//   and aid_received of each recipient, pledged or delivered += quantity,
//   split evenly over the (actor, recipient) pairs so totals add up. With no
//   recipient the giver's flow has counterpart "".
// - concede: the event id is appended to each actor's concessions.
// - sanction: a measure (keyed by Sanction.measure) with imposers and targets.
//   IMPOSE adds actors to imposers and recipients to targets (since/event of
//   the first imposition). LIFT frees the recipients, or every target when it
//   names none; a measure with no target left is no longer in force.
// - forum membership: JOIN / LEAVE for each actor.
// - conflict family: relations only.
// - every move: relations for each unordered pair {actor, recipient} (for a
//   consult: each pair of participants), on both sides: score += the move's
//   weight (replay/weights.h), quad count, last contact, events += 1.
// A correction event is not folded (its effect is resolved beforehand).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "demarche/v1/event.pb.h"
#include "demarche/v1/state.pb.h"
#include "google/protobuf/message.h"
#include "replay/fields.h"

namespace demarche::replay {

class Journal;

class FoldState {
 public:
  FoldState();
  // Every roster party appears in the state, even with nothing to show.
  // Only `fields` are shown, and only the parts of the fold they need
  // (fields.Folded()) are kept: the moves that change nothing else are
  // skipped.
  explicit FoldState(const std::vector<std::string>& roster, FieldSet fields = {});
  FoldState(const FoldState& other);
  FoldState& operator=(const FoldState& other);
  FoldState(FoldState&&) noexcept;
  FoldState& operator=(FoldState&&) noexcept;
  ~FoldState();

  // Restores a state from ToProto's output (a snapshot) with the precision
  // bounds that ReplaySnapshot keeps beside it, taking the items out of
  // `state` rather than copying them. `state` must hold no list outside
  // fields.Folded() (a snapshot of a state built for the same folded set).
  static FoldState FromProto(v1::ScenarioState state, uint32_t month_end_max, uint32_t year_end_max,
                             FieldSet fields = {});

  void AddParty(const std::string& code);

  // Folds one event as it applies. Events must come in (occurred sort key,
  // seq) order; a correction is ignored.
  void Apply(const v1::Event& event);

  // List entries (offers, relations, ...) from which ToProto and TakeProto
  // build the parties on two threads, half of them each.
  static constexpr size_t kParallelBuildItems = 4096;

  // Every party (sorted by code, each of fields() in its documented order),
  // with events_applied and last_seq. scenario, branch, as_of, known_at and
  // precision are left to the caller. With `only`, just those parties.
  v1::ScenarioState ToProto(const std::vector<std::string>& only = {}) const;
  // ToProto for a state about to be dropped: items move into the answer
  // instead of being copied (the answer to a query is as large as the state).
  // Leaves an empty state.
  v1::ScenarioState TakeProto(const std::vector<std::string>& only = {}) &&;
  // Appends ToProto()'s bytes (deterministic) as field `field_number` of an
  // enclosing message, but for an agreement's shared part (title, terms,
  // parties), written only with the first party that lists it (FromProto
  // reads it back from there); written straight from the state: no copy of a state
  // that a snapshot of a long branch holds by the tens of megabytes. Writes
  // every folded list, asked for or not (a snapshot keeps them all).
  void AppendProtoField(int field_number, std::string* out) const;

  // The lists shown; fields().Folded() are the lists kept.
  FieldSet fields() const;

  // ScenarioState.precision for a state read as of `as_of_key` (yyyymmdd).
  std::string PrecisionAt(uint32_t as_of_key) const;

  // One item of a party's list (replay/items.h Field and key), as ToProto
  // would show it; nullptr if absent.
  std::unique_ptr<google::protobuf::Message> Item(const std::string& party, int field,
                                                  const std::string& key) const;

  // While set, every item about to change is reported to the journal first.
  void set_journal(Journal* journal) { journal_ = journal; }

  uint64_t events_applied() const;
  uint64_t last_seq() const;
  uint32_t month_end_max() const;
  uint32_t year_end_max() const;

 private:
  struct Data;
  // ToProto (const Data: items copied) and TakeProto (each item moved on
  // its last use).
  template <typename D>
  static v1::ScenarioState Build(D& d, const std::vector<std::string>& only);
  void Touch(const std::string& party, int field, const std::string& key);
  void TouchOffer(const v1::Offer& offer);
  void ApplyMove(const v1::Event& event, const std::vector<std::string>& actors,
                 const std::vector<std::string>& recipients);
  void ApplyRelations(const v1::Event& event, const std::vector<std::string>& actors,
                      const std::vector<std::string>& recipients);

  std::unique_ptr<Data> d_;
  Journal* journal_ = nullptr;
};

// The free-function form of FoldState::Apply.
inline void Apply(const v1::Event& event, FoldState* state) { state->Apply(event); }

// Records the items one event changes, for a timeline step: Begin, fold the
// event with the journal set, then Finish.
class Journal {
 public:
  Journal();
  ~Journal();
  void Begin();
  // Called by FoldState before it changes (party, field, key).
  void Record(const FoldState& state, const std::string& party, int field, const std::string& key);
  // The items that differ now from before the event, sorted by (party, field,
  // key), each explained by `event_id`.
  std::vector<v1::FieldChange> Finish(const FoldState& state, const std::string& event_id);

 private:
  struct Entries;
  std::unique_ptr<Entries> entries_;
};

}  // namespace demarche::replay
