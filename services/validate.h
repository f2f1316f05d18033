// Edge validation of request fields, before anything touches the ledger. Each
// failure is INVALID_ARGUMENT with a message "<field>: <reason>".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "demarche/v1/date.pb.h"
#include "demarche/v1/move.pb.h"
#include "ledger/validate.h"

namespace demarche::services {

inline constexpr char kMainBranch[] = "main";

// Names, party codes, ids and text limits: the ledger's rules, one set for
// every caller (ledger/validate.h).
using ledger::ValidateEventId;
using ledger::ValidateName;
using ledger::ValidatePartyCode;
using ledger::ValidateText;
// Non-empty.
absl::Status ValidateRequired(std::string_view value, std::string_view field);
// Unset (all zero) is fine; anything else must be a valid partial date.
absl::Status ValidateOptionalDate(const v1::PartialDate& date, std::string_view field);
// `to` must not end before `from` begins (when both are set).
absl::Status ValidateDateRange(const v1::PartialDate& from, std::string_view from_field,
                               const v1::PartialDate& to, std::string_view to_field);

// The date, or nullopt when unset (year == 0).
std::optional<v1::PartialDate> OptionalDate(const v1::PartialDate& date);

// Empty means the trunk: read-side requests default their branch to "main".
inline std::string BranchOrMain(const std::string& branch) {
  return branch.empty() ? std::string(kMainBranch) : branch;
}

// The oneof name of a move ("statement", "demand", ...), "" when unset.
std::string MoveTypeName(const v1::Move& move);
// OK if `name` is a Move oneof name; else lists the valid ones.
absl::Status ValidateMoveType(std::string_view name, std::string_view field);

}  // namespace demarche::services
