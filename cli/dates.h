// Partial dates on the command line: "YYYY", "YYYY-MM" or "YYYY-MM-DD".
#pragma once

#include <string>
#include <string_view>

#include "demarche/v1/date.pb.h"

namespace demarche::cli {

// Parses and validates (month 1-12, a day that exists in that month, year
// 1-9999). On failure returns false and says why in *why.
bool ParseDate(std::string_view text, v1::PartialDate* out, std::string* why);

// ParseDate for a flag value; throws CliError(kRefused) naming the flag.
v1::PartialDate DateArg(std::string_view text, std::string_view flag);

// "2003", "2003-12", "2003-12-09"; "" when unset (year 0).
std::string FormatDate(const v1::PartialDate& date);

}  // namespace demarche::cli
