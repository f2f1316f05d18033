// Date keys for the pure fold. They mirror ledger/date.h (SortKey, LastDayKey)
// so that the fold links nothing but protobuf; tests check that both agree.
#pragma once

#include <cstdint>
#include <string>

#include "demarche/v1/date.pb.h"

namespace demarche::replay {

inline constexpr uint32_t kMaxKey = 99999999;

// yyyymmdd with unknown parts as 00: a partial date sorts at its period's start.
inline uint32_t StartKey(const v1::PartialDate& d) {
  return static_cast<uint32_t>(d.year()) * 10000u + static_cast<uint32_t>(d.month()) * 100u +
         static_cast<uint32_t>(d.day());
}

// yyyymmdd of the last day of the date's period (2003-12 -> 20031231).
uint32_t EndKey(const v1::PartialDate& d);

// yyyymmdd of the day before the date's period begins (2003-12 -> 20031130,
// 2003 -> 20021231).
uint32_t DayBeforeKey(const v1::PartialDate& d);

enum class Precision { kDay = 0, kMonth = 1, kYear = 2 };  // finer < coarser

inline Precision PrecisionOfDate(const v1::PartialDate& d) {
  if (d.month() == 0) return Precision::kYear;
  if (d.day() == 0) return Precision::kMonth;
  return Precision::kDay;
}

std::string PrecisionName(Precision p);  // "day", "month", "year"

}  // namespace demarche::replay
