// Partial dates (year, year-month or full day): validation, ordering, text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "demarche/v1/date.pb.h"

namespace demarche::ledger {

enum class DatePrecision { kYear, kMonth, kDay };

// OK, or INVALID_ARGUMENT naming `field` and the reason (month 1-12, a day
// that exists in that month, a day needs a month, year 1-9999).
absl::Status ValidateDate(const v1::PartialDate& date, std::string_view field);

DatePrecision PrecisionOf(const v1::PartialDate& date);

// Sort key yyyymmdd with unknown parts as 00, so a partial date sorts at the
// start of its period: 2003 -> 20030000 < 2003-12 -> 20031200 < 2003-12-01.
uint32_t SortKey(const v1::PartialDate& date);
// Key of the last day the period covers: 2003-12 -> 20031231, 2003 -> 20031231.
uint32_t LastDayKey(const v1::PartialDate& date);
// Key of a full date used as an "as of" bound: everything with SortKey <= it
// has happened by that day.
inline constexpr uint32_t kMinDateKey = 0;
inline constexpr uint32_t kMaxDateKey = 99999999;

// "2003", "2003-12", "2003-12-09".
std::string FormatDate(const v1::PartialDate& date);
// Parses the three forms above; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<v1::PartialDate> ParseDate(std::string_view text, std::string_view field = "date");

bool IsSet(const v1::PartialDate& date);  // year != 0

}  // namespace demarche::ledger
