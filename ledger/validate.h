// Validation of names, scenarios and events. Every error is INVALID_ARGUMENT
// (size limits: RESOURCE_EXHAUSTED) with a message that starts with the field
// path, e.g. `events[3].move.aid.unit: required when quantity > 0`.
//
// Event checks come in two parts: ValidateEvent needs only the event and the
// scenario (static rules); references to other events (response.target,
// correction.target, aid.pledge, proposal.supersedes) are listed by
// ReferencesOf and checked by CheckReference once the ledger has looked the
// targets up in the branch lineage.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "demarche/v1/event.pb.h"
#include "demarche/v1/scenario.pb.h"

namespace demarche::ledger {

using Roster = std::set<std::string, std::less<>>;

// Limits on the free text of scenarios and branches (an event's text is
// bounded by Options::max_event_bytes as a whole). Each was unbounded once: a
// 20 MiB branch description made ListBranches fail for every client.
inline constexpr size_t kMaxTitleBytes = 200;
inline constexpr size_t kMaxDescriptionBytes = 4096;  // scenario and branch descriptions
inline constexpr size_t kMaxPartyNameBytes = 200;
inline constexpr size_t kMaxRosterParties = 10000;

// Scenario and branch names: [a-z0-9][a-z0-9._-]{0,63}. Required.
absl::Status ValidateName(std::string_view name, std::string_view field);
// Party codes: [A-Z0-9_]{2,16}. Required.
absl::Status ValidatePartyCode(std::string_view code, std::string_view field);
// Client ids: 1..128 characters of [A-Za-z0-9._:-].
absl::Status ValidateEventId(std::string_view id, std::string_view field);
// At most `max_bytes` bytes: "description: 5000 bytes exceed the limit of 4096".
absl::Status ValidateText(std::string_view text, size_t max_bytes, std::string_view field);
// OUT_OF_RANGE for a position beyond a branch's head, in every method that
// takes one (known_at, after_seq): "known_at: 42 is beyond the head 5 of
// branch \"main\"". OK when value <= head.
absl::Status CheckWithinHead(uint64_t value, uint64_t head, std::string_view field,
                             std::string_view branch);
// Name, title, description and roster (1..kMaxRosterParties parties, valid
// unique codes, names within their limit). `prefix` goes before each field
// name ("scenario." for a request's field).
absl::Status ValidateScenario(const v1::Scenario& scenario, std::string_view prefix = "");

struct EventRules {
  std::string_view scenario;  // for messages
  const Roster* roster = nullptr;
  std::string_view branch;  // on "main" sources are required, HYPOTHETICAL is not allowed
  size_t max_event_bytes = 0;
};

// RESOURCE_EXHAUSTED if the serialized client content exceeds
// rules.max_event_bytes: `events[2]: 70012 bytes exceed max_event_bytes 65536`.
absl::Status CheckEventSize(const v1::Event& client_content, std::string_view path,
                            const EventRules& rules);

// The static rules for one event's client content; `path` names it
// ("events[3]"). Envelope fields are not looked at.
absl::Status ValidateEvent(const v1::Event& event, std::string_view path, const EventRules& rules);

struct Reference {
  enum class Kind { kResponseTarget, kCorrectionTarget, kAidPledge, kSupersedes };
  Kind kind;
  std::string field;  // full path, e.g. "events[1].move.response.target"
  std::string id;     // the referenced client id
};

// References made by an event (including inside a correction's replacement
// move), in field order; empty ids are not listed.
std::vector<Reference> ReferencesOf(const v1::Event& event, std::string_view path);

// All a reference check needs to know of its target. The ledger keeps it,
// packed in one byte, in the target's ids entry (keys::IdLocation::target).
struct ReferenceTarget {
  v1::Move::KindCase kind = v1::Move::KIND_NOT_SET;
  bool aid_pledge = false;
  bool operator==(const ReferenceTarget&) const = default;
};
ReferenceTarget ReferenceTargetOf(const v1::Event& event);
uint8_t PackReferenceTarget(const ReferenceTarget& target);
ReferenceTarget UnpackReferenceTarget(uint8_t packed);

// `target` is what the reference resolves to in the lineage, or nullptr.
// Checks existence and the target's kind (a response targets a proposal or
// demand, a pledge reference an aid pledge, supersedes a proposal).
absl::Status CheckReference(const Reference& ref, const ReferenceTarget* target,
                            std::string_view branch);
absl::Status CheckReference(const Reference& ref, const v1::Event* target, std::string_view branch);

// "statement", "proposal", ... for messages.
std::string_view MoveKindName(const v1::Move& move);
std::string_view MoveKindName(v1::Move::KindCase kind);

}  // namespace demarche::ledger
