#include "services/validate.h"

#include <fmt/format.h>

#include "ledger/date.h"
#include "ledger/quote.h"

namespace demarche::services {
namespace {

absl::Status Invalid(std::string_view field, std::string_view reason) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, reason));
}

const google::protobuf::OneofDescriptor& MoveKinds() {
  return *v1::Move::descriptor()->FindOneofByName("kind");
}

}  // namespace

absl::Status ValidateOptionalDate(const v1::PartialDate& date, std::string_view field) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return absl::OkStatus();
  return ledger::ValidateDate(date, field);
}

absl::Status ValidateDateRange(const v1::PartialDate& from, std::string_view from_field,
                               const v1::PartialDate& to, std::string_view to_field) {
  if (absl::Status s = ValidateOptionalDate(from, from_field); !s.ok()) return s;
  if (absl::Status s = ValidateOptionalDate(to, to_field); !s.ok()) return s;
  if (ledger::IsSet(from) && ledger::IsSet(to) && ledger::LastDayKey(to) < ledger::SortKey(from)) {
    return Invalid(to_field, fmt::format("{} is before {} {}", ledger::FormatDate(to), from_field,
                                         ledger::FormatDate(from)));
  }
  return absl::OkStatus();
}

std::optional<v1::PartialDate> OptionalDate(const v1::PartialDate& date) {
  if (!ledger::IsSet(date)) return std::nullopt;
  return date;
}

std::string MoveTypeName(const v1::Move& move) {
  if (move.kind_case() == v1::Move::KIND_NOT_SET) return {};
  return v1::Move::descriptor()->FindFieldByNumber(move.kind_case())->name();
}

absl::Status ValidateMoveType(std::string_view name, std::string_view field) {
  const google::protobuf::OneofDescriptor& kinds = MoveKinds();
  std::string valid;
  for (int i = 0; i < kinds.field_count(); ++i) {
    if (kinds.field(i)->name() == name) return absl::OkStatus();
    valid += (i == 0 ? "" : ", ") + kinds.field(i)->name();
  }
  if (name.empty()) return Invalid(field, "required");
  return Invalid(field,
                 fmt::format("unknown move type {} (one of: {})", ledger::Quote(name), valid));
}

}  // namespace demarche::services
