// Fuzz target: event validation. Input = one flag byte, optionally a
// length-prefixed v1::Scenario (its roster replaces the default), then a
// binary v1::Event. ValidateEvent must never crash; an error is
// INVALID_ARGUMENT naming the field path; an accepted event satisfies the
// invariants the ledger relies on (valid dates, ordered range, roster
// parties, one move kind, resolvable-looking references).
//   flags bit 0: branch "main" (sources required), else "what-if"
//   flags bit 1: [len:u8][Scenario bytes] follows
//   flags bit 2: max_event_bytes 256 instead of 64 KiB
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "ledger/canonical.h"
#include "ledger/date.h"
#include "ledger/validate.h"

namespace demarche::fuzz {
namespace {

using namespace demarche::ledger;

constexpr std::string_view kPath = "events[0]";

void CheckValidDate(const v1::PartialDate& d, const std::string& what) {
  FUZZ_CHECK(ValidateDate(d, what).ok(), what);
  FUZZ_CHECK(SortKey(d) <= LastDayKey(d), what);
  auto parsed = ParseDate(FormatDate(d));
  FUZZ_CHECK(parsed.ok(), FormatDate(d) + " " + Str(parsed.status()));
  FUZZ_CHECK(parsed->year() == d.year() && parsed->month() == d.month() && parsed->day() == d.day(),
             FormatDate(d));
}

void CheckAccepted(const v1::Event& e, const Roster& roster, const EventRules& rules) {
  FUZZ_CHECK(ValidateEventId(e.id(), "id").ok(), e.id());
  CheckValidDate(e.occurred(), "occurred");
  if (IsSet(e.occurred_end())) {
    CheckValidDate(e.occurred_end(), "occurred_end");
    FUZZ_CHECK(LastDayKey(e.occurred_end()) >= SortKey(e.occurred()), "occurred_end range");
  }
  FUZZ_CHECK(e.actor_size() > 0, "actor");
  for (const std::string& a : e.actor()) FUZZ_CHECK(roster.contains(a), a);
  for (const std::string& r : e.recipients()) FUZZ_CHECK(roster.contains(r), r);
  FUZZ_CHECK(e.move().kind_case() != v1::Move::KIND_NOT_SET, "move kind");
  FUZZ_CHECK(MoveKindName(e.move()) != "move", "move kind name");
  if (rules.branch == "main") {
    FUZZ_CHECK(e.sources_size() > 0, "sources on main");
    FUZZ_CHECK(e.context() != v1::CONTEXT_HYPOTHETICAL, "hypothetical on main");
  }
  // What the ids index keeps for reference checks survives its one byte.
  const ReferenceTarget target = ReferenceTargetOf(e);
  FUZZ_CHECK(UnpackReferenceTarget(PackReferenceTarget(target)) == target, "packed target");
  for (const Reference& r : ReferencesOf(e, kPath)) {
    FUZZ_CHECK(!r.id.empty() && r.id != e.id(), r.field);
    FUZZ_CHECK(StartsWith(r.field, "events[0].move."), r.field);
    absl::Status missing = CheckReference(r, static_cast<const v1::Event*>(nullptr), rules.branch);
    FUZZ_CHECK(missing.code() == absl::StatusCode::kInvalidArgument, Str(missing));
    FUZZ_CHECK(MessageStartsWith(missing, r.field), Str(missing));
    absl::Status self = CheckReference(r, &e, rules.branch);
    FUZZ_CHECK(self.ok() || MessageStartsWith(self, r.field), Str(self));
    FUZZ_CHECK(CheckReference(r, &target, rules.branch) == self, "target and event disagree");
  }
  // The envelope is not looked at: the client content validates the same.
  FUZZ_CHECK(ValidateEvent(ClientContent(e), kPath, rules).ok(), "client content");
}

}  // namespace
}  // namespace demarche::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  demarche::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace demarche;
  using namespace demarche::fuzz;
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  ledger::Roster roster = DefaultRoster();
  if (flags & 2) {
    if (rest.empty()) return 0;
    const size_t n = std::min<size_t>(static_cast<uint8_t>(rest[0]), rest.size() - 1);
    v1::Scenario s;
    if (!s.ParseFromArray(rest.data() + 1, static_cast<int>(n))) return 0;
    rest.remove_prefix(1 + n);
    s.set_name("s");  // the roster is what matters here
    const absl::Status ss = ledger::ValidateScenario(s);
    FUZZ_CHECK(ss.ok() || ss.code() == absl::StatusCode::kInvalidArgument, Str(ss));
    FUZZ_CHECK(ss.ok() || MessageStartsWith(ss, "roster"), Str(ss));
    if (!ss.ok()) return 0;
    roster.clear();
    for (const v1::Party& p : s.roster()) {
      FUZZ_CHECK(ledger::ValidatePartyCode(p.code(), "code").ok(), p.code());
      roster.insert(p.code());
    }
  }

  v1::Event event;
  if (!event.ParseFromArray(rest.data(), static_cast<int>(rest.size()))) return 0;
  ledger::EventRules rules;
  rules.scenario = "s";
  rules.roster = &roster;
  rules.branch = (flags & 1) ? "main" : "what-if";
  rules.max_event_bytes = (flags & 4) ? 256 : 64 * 1024;

  const absl::Status size_status =
      ledger::CheckEventSize(ledger::ClientContent(event), "events[0]", rules);
  FUZZ_CHECK(size_status.ok() || size_status.code() == absl::StatusCode::kResourceExhausted,
             Str(size_status));
  FUZZ_CHECK(size_status.ok() || MessageStartsWith(size_status, "events[0]: "), Str(size_status));

  const absl::Status status = ledger::ValidateEvent(event, "events[0]", rules);
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument, Str(status));
    FUZZ_CHECK(MessageStartsWith(status, "events[0]"), Str(status));
    return 0;
  }
  CheckAccepted(event, roster, rules);
  return 0;
}
