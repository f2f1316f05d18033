#include "ledger/validate.h"

#include <array>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "ledger/canonical.h"
#include "ledger/date.h"
#include "ledger/quote.h"

namespace demarche::ledger {
namespace {

// Validation errors are built bottom-up; `Check` keeps the call sites short.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    if (absl::Status _s = (expr); !_s.ok()) return _s; \
  } while (0)

template <typename... Args>
absl::Status Invalid(fmt::format_string<Args...> f, Args&&... args) {
  return absl::InvalidArgumentError(fmt::format(f, std::forward<Args>(args)...));
}

// A field path such as "events[3].move.demand.terms[0].giver", spelled out
// only when an error names it: every field of every appended event is
// checked, and building each path eagerly cost more than the checks did.
// A path refers to its parent: use it within the call that made it.
class FieldPath {
 public:
  explicit FieldPath(std::string_view root) : name_(root) {}
  FieldPath(const FieldPath& parent, std::string_view field) : parent_(&parent), name_(field) {}
  FieldPath(const FieldPath& parent, int index) : parent_(&parent), index_(index) {}

  std::string str() const {
    if (parent_ == nullptr) return std::string(name_);
    std::string out = parent_->str();
    if (index_ >= 0) {
      out += '[';
      out += std::to_string(index_);
      out += ']';
    } else {
      out += '.';
      out += name_;
    }
    return out;
  }
  // The last field name ("actor" for "events[0].actor").
  std::string_view name() const { return name_; }

 private:
  const FieldPath* parent_ = nullptr;
  std::string_view name_;
  int index_ = -1;
};

// A public check (its error names a std::string_view field) run with a lazy
// path: the path is spelled out only to repeat a failing check.
template <typename Check>
absl::Status WithPath(const FieldPath& path, Check check) {
  if (absl::Status s = check(std::string_view()); s.ok()) return s;
  return check(std::string_view(path.str()));
}

}  // namespace
}  // namespace demarche::ledger

template <>
struct fmt::formatter<demarche::ledger::FieldPath> : fmt::formatter<std::string> {
  auto format(const demarche::ledger::FieldPath& path, format_context& ctx) const {
    return fmt::formatter<std::string>::format(path.str(), ctx);
  }
};

namespace demarche::ledger {
namespace {

bool IsLowerNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

absl::Status Required(std::string_view value, const FieldPath& field) {
  if (value.empty()) return Invalid("{}: required", field);
  return absl::OkStatus();
}

// proto3 keeps unknown enum numbers; reject them and the UNSPECIFIED zero.
absl::Status RequiredEnum(int value, bool (*is_valid)(int), const FieldPath& field) {
  if (value == 0) return Invalid("{}: required", field);
  if (!is_valid(value)) return Invalid("{}: unknown value {}", field, value);
  return absl::OkStatus();
}

absl::Status QuantityAndUnit(double quantity, std::string_view unit, const FieldPath& path) {
  if (!std::isfinite(quantity) || quantity < 0)
    return Invalid("{}.quantity: must be a finite number >= 0, got {}", path, quantity);
  if (quantity > 0 && unit.empty()) return Invalid("{}.unit: required when quantity > 0", path);
  return absl::OkStatus();
}

// Party lists: each code in the roster, no repeats. `path` is e.g. "events[0].actor".
absl::Status Parties(const google::protobuf::RepeatedPtrField<std::string>& codes,
                     const FieldPath& path, const EventRules& rules) {
  for (int i = 0; i < codes.size(); ++i) {
    const std::string& code = codes[i];
    if (!rules.roster->contains(code))
      return Invalid("{}[{}]: {} is not in the roster of scenario \"{}\"", path, i, Quote(code),
                     rules.scenario);
    for (int j = 0; j < i; ++j)
      if (codes[j] == code)
        return Invalid("{}[{}]: {} repeats {}[{}]", path, i, Quote(code), path.name(), j);
  }
  return absl::OkStatus();
}

absl::Status Party(std::string_view code, const FieldPath& field, const EventRules& rules) {
  if (!rules.roster->contains(code))
    return Invalid("{}: {} is not in the roster of scenario \"{}\"", field, Quote(code),
                   rules.scenario);
  return absl::OkStatus();
}

absl::Status Terms(const google::protobuf::RepeatedPtrField<v1::Term>& terms, const FieldPath& path,
                   const EventRules& rules) {
  for (int i = 0; i < terms.size(); ++i) {
    const v1::Term& t = terms[i];
    const FieldPath p(path, i);
    RETURN_IF_ERROR(Required(t.giver(), FieldPath(p, "giver")));
    RETURN_IF_ERROR(Party(t.giver(), FieldPath(p, "giver"), rules));
    if (!t.receiver().empty())
      RETURN_IF_ERROR(Party(t.receiver(), FieldPath(p, "receiver"), rules));
    RETURN_IF_ERROR(QuantityAndUnit(t.quantity(), t.unit(), p));
  }
  return absl::OkStatus();
}

absl::Status CheckOccurredRange(const v1::PartialDate& occurred, const v1::PartialDate& end,
                                const FieldPath& path, std::string_view start_field,
                                std::string_view end_field) {
  if (!IsSet(end)) return absl::OkStatus();
  RETURN_IF_ERROR(WithPath(FieldPath(path, end_field),
                           [&](std::string_view f) { return ValidateDate(end, f); }));
  // The end's period must reach the start of the event's period.
  if (IsSet(occurred) && LastDayKey(end) < SortKey(occurred))
    return Invalid("{}.{}: {} is before {} {}", path, end_field, FormatDate(end), start_field,
                   FormatDate(occurred));
  return absl::OkStatus();
}

bool DateTouched(const v1::PartialDate& d) { return d.year() || d.month() || d.day(); }

absl::Status ValidateMove(const v1::Move& move, const FieldPath& path, const EventRules& rules,
                          bool allow_correction);

absl::Status ValidateCorrection(const v1::Correction& c, const FieldPath& p,
                                const EventRules& rules) {
  RETURN_IF_ERROR(Required(c.target(), FieldPath(p, "target")));
  RETURN_IF_ERROR(Required(c.reason(), FieldPath(p, "reason")));
  if (c.retract()) {
    const char* set = DateTouched(c.occurred())       ? "occurred"
                      : DateTouched(c.occurred_end()) ? "occurred_end"
                      : c.actor_size()                ? "actor"
                      : c.recipients_size()           ? "recipients"
                      : c.has_move()                  ? "move"
                                                      : nullptr;
    if (set) return Invalid("{}.{}: must be empty when retract is true", p, set);
    return absl::OkStatus();
  }
  if (!DateTouched(c.occurred()) && !DateTouched(c.occurred_end()) && c.actor_size() == 0 &&
      c.recipients_size() == 0 && !c.has_move())
    return Invalid("{}: set retract or at least one replacement field", p);
  if (DateTouched(c.occurred()))
    RETURN_IF_ERROR(WithPath(FieldPath(p, "occurred"),
                             [&](std::string_view f) { return ValidateDate(c.occurred(), f); }));
  if (DateTouched(c.occurred_end()) && !IsSet(c.occurred_end()))
    RETURN_IF_ERROR(WithPath(FieldPath(p, "occurred_end"), [&](std::string_view f) {
      return ValidateDate(c.occurred_end(), f);
    }));
  RETURN_IF_ERROR(
      CheckOccurredRange(c.occurred(), c.occurred_end(), p, "occurred", "occurred_end"));
  RETURN_IF_ERROR(Parties(c.actor(), FieldPath(p, "actor"), rules));
  RETURN_IF_ERROR(Parties(c.recipients(), FieldPath(p, "recipients"), rules));
  if (c.has_move()) {
    if (c.move().has_correction())
      return Invalid("{}.move: a correction cannot replace a move with another correction", p);
    RETURN_IF_ERROR(
        ValidateMove(c.move(), FieldPath(p, "move"), rules, /*allow_correction=*/false));
  }
  return absl::OkStatus();
}

absl::Status ValidatePayload(const v1::Move& m, const FieldPath& path, const EventRules& rules) {
  const FieldPath p(path, MoveKindName(m));
  switch (m.kind_case()) {
    case v1::Move::kStatement:
      RETURN_IF_ERROR(Required(m.statement().issue(), FieldPath(p, "issue")));
      return RequiredEnum(m.statement().stance(), v1::Stance_IsValid, FieldPath(p, "stance"));
    case v1::Move::kDemand:
      RETURN_IF_ERROR(Required(m.demand().issue(), FieldPath(p, "issue")));
      RETURN_IF_ERROR(Required(m.demand().text(), FieldPath(p, "text")));
      RETURN_IF_ERROR(Terms(m.demand().terms(), FieldPath(p, "terms"), rules));
      return Terms(m.demand().offers(), FieldPath(p, "offers"), rules);
    case v1::Move::kProposal:
      RETURN_IF_ERROR(Required(m.proposal().issue(), FieldPath(p, "issue")));
      RETURN_IF_ERROR(Required(m.proposal().title(), FieldPath(p, "title")));
      return Terms(m.proposal().terms(), FieldPath(p, "terms"), rules);
    case v1::Move::kResponse:
      RETURN_IF_ERROR(Required(m.response().target(), FieldPath(p, "target")));
      return RequiredEnum(m.response().kind(), v1::ResponseKind_IsValid, FieldPath(p, "kind"));
    case v1::Move::kAgreement:
      RETURN_IF_ERROR(RequiredEnum(m.agreement().action(), v1::AgreementAction_IsValid,
                                   FieldPath(p, "action")));
      RETURN_IF_ERROR(Required(m.agreement().agreement(), FieldPath(p, "agreement")));
      return Terms(m.agreement().terms(), FieldPath(p, "terms"), rules);
    case v1::Move::kConsult:
      return RequiredEnum(m.consult().kind(), v1::ConsultKind_IsValid, FieldPath(p, "kind"));
    case v1::Move::kAid: {
      const v1::Aid& a = m.aid();
      RETURN_IF_ERROR(RequiredEnum(a.action(), v1::AidAction_IsValid, FieldPath(p, "action")));
      RETURN_IF_ERROR(Required(a.commodity(), FieldPath(p, "commodity")));
      RETURN_IF_ERROR(QuantityAndUnit(a.quantity(), a.unit(), p));
      if (!a.pledge().empty() && a.action() != v1::AID_ACTION_DELIVERY)
        return Invalid("{}.pledge: only a delivery names the pledge it fulfils", p);
      return absl::OkStatus();
    }
    case v1::Move::kConcede:
      RETURN_IF_ERROR(
          RequiredEnum(m.concede().kind(), v1::ConcedeKind_IsValid, FieldPath(p, "kind")));
      RETURN_IF_ERROR(Required(m.concede().what(), FieldPath(p, "what")));
      if (!std::isfinite(m.concede().quantity()) || m.concede().quantity() < 0)
        return Invalid("{}.quantity: must be a finite number >= 0, got {}", p,
                       m.concede().quantity());
      return absl::OkStatus();
    case v1::Move::kSanction:
      RETURN_IF_ERROR(
          RequiredEnum(m.sanction().action(), v1::SanctionAction_IsValid, FieldPath(p, "action")));
      return Required(m.sanction().measure(), FieldPath(p, "measure"));
    case v1::Move::kForum:
      RETURN_IF_ERROR(
          RequiredEnum(m.forum().action(), v1::ForumAction_IsValid, FieldPath(p, "action")));
      return Required(m.forum().forum(), FieldPath(p, "forum"));
    case v1::Move::kConflict:
      return RequiredEnum(m.conflict().kind(), v1::ConflictKind_IsValid, FieldPath(p, "kind"));
    case v1::Move::kCorrection:
      return ValidateCorrection(m.correction(), p, rules);
    case v1::Move::KIND_NOT_SET:
      break;
  }
  return Invalid("{}: exactly one move kind must be set, none is", path);
}

absl::Status ValidateMove(const v1::Move& m, const FieldPath& path, const EventRules& rules,
                          bool allow_correction) {
  if (!allow_correction && m.has_correction())
    return Invalid("{}: a correction cannot replace a move with another correction", path);
  RETURN_IF_ERROR(ValidatePayload(m, path, rules));
  const std::string& cameo = m.cameo_code();
  if (!cameo.empty()) {
    bool digits = cameo.size() >= 2 && cameo.size() <= 4;
    for (char c : cameo) digits = digits && c >= '0' && c <= '9';
    if (!digits) return Invalid("{}.cameo_code: {} must be 2 to 4 digits", path, Quote(cameo));
  }
  if (m.has_weight() && !(m.weight() >= -10 && m.weight() <= 10))
    return Invalid("{}.weight: must be within [-10, 10], got {}", path, m.weight());
  return absl::OkStatus();
}

void AddReference(std::vector<Reference>* out, Reference::Kind kind, std::string field,
                  const std::string& id) {
  if (!id.empty()) out->push_back(Reference{kind, std::move(field), id});
}

// Whether MoveReferences would find anything (most moves refer to nothing,
// and then no path is built).
bool HasReferences(const v1::Move& m) {
  switch (m.kind_case()) {
    case v1::Move::kResponse:
      return !m.response().target().empty();
    case v1::Move::kAid:
      return !m.aid().pledge().empty();
    case v1::Move::kProposal:
      return !m.proposal().supersedes().empty();
    case v1::Move::kCorrection:
      return true;
    default:
      return false;
  }
}

void MoveReferences(const v1::Move& m, const std::string& path, std::vector<Reference>* out) {
  using K = Reference::Kind;
  switch (m.kind_case()) {
    case v1::Move::kResponse:
      AddReference(out, K::kResponseTarget, path + ".response.target", m.response().target());
      break;
    case v1::Move::kAid:
      AddReference(out, K::kAidPledge, path + ".aid.pledge", m.aid().pledge());
      break;
    case v1::Move::kProposal:
      AddReference(out, K::kSupersedes, path + ".proposal.supersedes", m.proposal().supersedes());
      break;
    case v1::Move::kCorrection:
      AddReference(out, K::kCorrectionTarget, path + ".correction.target", m.correction().target());
      if (m.correction().has_move())
        MoveReferences(m.correction().move(), path + ".correction.move", out);
      break;
    default:
      break;
  }
}

}  // namespace

absl::Status ValidateName(std::string_view name, std::string_view field) {
  if (name.empty()) return Invalid("{}: required", field);
  bool ok = !name.empty() && name.size() <= 64 && IsLowerNameChar(name[0]);
  for (char c : name) ok = ok && (IsLowerNameChar(c) || c == '.' || c == '_' || c == '-');
  if (!ok) return Invalid("{}: {} must match [a-z0-9][a-z0-9._-]{{0,63}}", field, Quote(name));
  return absl::OkStatus();
}

absl::Status ValidatePartyCode(std::string_view code, std::string_view field) {
  if (code.empty()) return Invalid("{}: required", field);
  bool ok = code.size() >= 2 && code.size() <= 16;
  for (char c : code) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok) return Invalid("{}: {} must match [A-Z0-9_]{{2,16}}", field, Quote(code));
  return absl::OkStatus();
}

absl::Status ValidateEventId(std::string_view id, std::string_view field) {
  if (id.empty()) return Invalid("{}: required", field);
  bool ok = id.size() <= 128;
  for (char c : id) ok = ok && IsIdChar(c);
  if (!ok) return Invalid("{}: {} must be 1..128 characters of [A-Za-z0-9._:-]", field, Quote(id));
  return absl::OkStatus();
}

absl::Status ValidateText(std::string_view text, size_t max_bytes, std::string_view field) {
  if (text.size() > max_bytes)
    return Invalid("{}: {} bytes exceed the limit of {}", field, text.size(), max_bytes);
  return absl::OkStatus();
}

absl::Status CheckWithinHead(uint64_t value, uint64_t head, std::string_view field,
                             std::string_view branch) {
  if (value <= head) return absl::OkStatus();
  return absl::OutOfRangeError(
      fmt::format("{}: {} is beyond the head {} of branch {}", field, value, head, Quote(branch)));
}

absl::Status ValidateScenario(const v1::Scenario& s, std::string_view prefix) {
  const std::string p(prefix);
  RETURN_IF_ERROR(ValidateName(s.name(), p + "name"));
  RETURN_IF_ERROR(ValidateText(s.title(), kMaxTitleBytes, p + "title"));
  RETURN_IF_ERROR(ValidateText(s.description(), kMaxDescriptionBytes, p + "description"));
  if (s.roster_size() == 0) return Invalid("{}roster: at least one party required", p);
  if (static_cast<size_t>(s.roster_size()) > kMaxRosterParties)
    return Invalid("{}roster: {} parties exceed the limit of {}", p, s.roster_size(),
                   kMaxRosterParties);
  std::unordered_map<std::string_view, int> seen;
  seen.reserve(static_cast<size_t>(s.roster_size()));
  for (int i = 0; i < s.roster_size(); ++i) {
    const v1::Party& party = s.roster(i);
    const std::string field = fmt::format("{}roster[{}].code", p, i);
    RETURN_IF_ERROR(ValidatePartyCode(party.code(), field));
    if (auto [it, fresh] = seen.emplace(party.code(), i); !fresh)
      return Invalid("{}: \"{}\" repeats roster[{}].code", field, party.code(), it->second);
    RETURN_IF_ERROR(
        ValidateText(party.name(), kMaxPartyNameBytes, fmt::format("{}roster[{}].name", p, i)));
    if (party.kind() != 0 && !v1::PartyKind_IsValid(party.kind()))
      return Invalid("{}roster[{}].kind: unknown value {}", p, i, static_cast<int>(party.kind()));
  }
  return absl::OkStatus();
}

absl::Status CheckEventSize(const v1::Event& client_content, std::string_view path,
                            const EventRules& rules) {
  const size_t bytes = client_content.ByteSizeLong();
  if (bytes > rules.max_event_bytes)
    return absl::ResourceExhaustedError(
        fmt::format("{}: {} bytes exceed max_event_bytes {}", path, bytes, rules.max_event_bytes));
  return absl::OkStatus();
}

absl::Status ValidateEvent(const v1::Event& e, std::string_view event_path,
                           const EventRules& rules) {
  const FieldPath path(event_path);
  RETURN_IF_ERROR(WithPath(FieldPath(path, "id"),
                           [&](std::string_view f) { return ValidateEventId(e.id(), f); }));
  if (!DateTouched(e.occurred())) return Invalid("{}.occurred: required", path);
  RETURN_IF_ERROR(WithPath(FieldPath(path, "occurred"),
                           [&](std::string_view f) { return ValidateDate(e.occurred(), f); }));
  if (DateTouched(e.occurred_end()) && !IsSet(e.occurred_end()))
    RETURN_IF_ERROR(WithPath(FieldPath(path, "occurred_end"), [&](std::string_view f) {
      return ValidateDate(e.occurred_end(), f);
    }));
  RETURN_IF_ERROR(
      CheckOccurredRange(e.occurred(), e.occurred_end(), path, "occurred", "occurred_end"));
  if (e.actor_size() == 0) return Invalid("{}.actor: at least one party required", path);
  RETURN_IF_ERROR(Parties(e.actor(), FieldPath(path, "actor"), rules));
  RETURN_IF_ERROR(Parties(e.recipients(), FieldPath(path, "recipients"), rules));
  RETURN_IF_ERROR(
      ValidateMove(e.move(), FieldPath(path, "move"), rules, /*allow_correction=*/true));
  if (e.move().has_correction() && e.move().correction().target() == e.id())
    return Invalid("{}.move.correction.target: an event cannot correct itself", path);
  for (const Reference& r : ReferencesOf(e, event_path))
    if (r.id == e.id()) return Invalid("{}: {} is this event itself", r.field, Quote(r.id));
  const FieldPath sources(path, "sources");
  for (int i = 0; i < e.sources_size(); ++i) {
    const FieldPath p(sources, i);
    RETURN_IF_ERROR(Required(e.sources(i).document(), FieldPath(p, "document")));
    RETURN_IF_ERROR(Required(e.sources(i).quote(), FieldPath(p, "quote")));
  }
  if (e.context() != 0 && !v1::Context_IsValid(e.context()))
    return Invalid("{}.context: unknown value {}", path, static_cast<int>(e.context()));
  if (rules.branch == "main") {
    if (e.sources_size() == 0)
      return Invalid("{}.sources: at least one source required on branch \"main\"", path);
    if (e.context() == v1::CONTEXT_HYPOTHETICAL)
      return Invalid("{}.context: HYPOTHETICAL is not allowed on branch \"main\"", path);
  }
  return absl::OkStatus();
}

std::vector<Reference> ReferencesOf(const v1::Event& event, std::string_view path) {
  std::vector<Reference> out;
  if (!HasReferences(event.move())) return out;
  MoveReferences(event.move(), std::string(path) + ".move", &out);
  return out;
}

ReferenceTarget ReferenceTargetOf(const v1::Event& event) {
  const v1::Move& m = event.move();
  return {m.kind_case(), m.has_aid() && m.aid().action() == v1::AID_ACTION_PLEDGE};
}

// Low 7 bits: the oneof case (field numbers stay below 128); high bit: pledge.
uint8_t PackReferenceTarget(const ReferenceTarget& target) {
  return static_cast<uint8_t>((static_cast<unsigned>(target.kind) & 0x7f) |
                              (target.aid_pledge ? 0x80 : 0));
}

ReferenceTarget UnpackReferenceTarget(uint8_t packed) {
  // Only cases of Move's oneof become a KindCase; anything else (a damaged
  // byte) reads as no move.
  static const std::array<bool, 128> is_case = [] {
    std::array<bool, 128> out{};
    const google::protobuf::OneofDescriptor* kind = v1::Move::descriptor()->FindOneofByName("kind");
    for (int i = 0; kind != nullptr && i < kind->field_count(); ++i)
      if (kind->field(i)->number() < 128) out[static_cast<size_t>(kind->field(i)->number())] = true;
    return out;
  }();
  const unsigned k = packed & 0x7fu;
  return {is_case[k] ? static_cast<v1::Move::KindCase>(k) : v1::Move::KIND_NOT_SET,
          (packed & 0x80) != 0};
}

absl::Status CheckReference(const Reference& ref, const ReferenceTarget* target,
                            std::string_view branch) {
  if (target == nullptr)
    return Invalid("{}: {} does not resolve to an event in the lineage of branch \"{}\"", ref.field,
                   Quote(ref.id), branch);
  switch (ref.kind) {
    case Reference::Kind::kResponseTarget:
      if (target->kind != v1::Move::kProposal && target->kind != v1::Move::kDemand)
        return Invalid("{}: {} is a {}, not a proposal or demand", ref.field, Quote(ref.id),
                       MoveKindName(target->kind));
      break;
    case Reference::Kind::kAidPledge:
      if (target->kind != v1::Move::kAid || !target->aid_pledge)
        return Invalid("{}: {} is not an aid pledge", ref.field, Quote(ref.id));
      break;
    case Reference::Kind::kSupersedes:
      if (target->kind != v1::Move::kProposal)
        return Invalid("{}: {} is a {}, not a proposal", ref.field, Quote(ref.id),
                       MoveKindName(target->kind));
      break;
    case Reference::Kind::kCorrectionTarget:
      break;
  }
  return absl::OkStatus();
}

absl::Status CheckReference(const Reference& ref, const v1::Event* target,
                            std::string_view branch) {
  if (target == nullptr)
    return CheckReference(ref, static_cast<const ReferenceTarget*>(nullptr), branch);
  const ReferenceTarget t = ReferenceTargetOf(*target);
  return CheckReference(ref, &t, branch);
}

std::string_view MoveKindName(const v1::Move& m) { return MoveKindName(m.kind_case()); }

std::string_view MoveKindName(v1::Move::KindCase kind) {
  switch (kind) {
    case v1::Move::kStatement:
      return "statement";
    case v1::Move::kDemand:
      return "demand";
    case v1::Move::kProposal:
      return "proposal";
    case v1::Move::kResponse:
      return "response";
    case v1::Move::kAgreement:
      return "agreement";
    case v1::Move::kConsult:
      return "consult";
    case v1::Move::kAid:
      return "aid";
    case v1::Move::kConcede:
      return "concede";
    case v1::Move::kSanction:
      return "sanction";
    case v1::Move::kForum:
      return "forum";
    case v1::Move::kConflict:
      return "conflict";
    case v1::Move::kCorrection:
      return "correction";
    case v1::Move::KIND_NOT_SET:
      break;
  }
  return "move";
}

}  // namespace demarche::ledger
