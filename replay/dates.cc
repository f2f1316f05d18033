#include "replay/dates.h"

namespace demarche::replay {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 31;
  return (m == 2 && IsLeap(y)) ? 29 : kDays[m - 1];
}

}  // namespace

uint32_t EndKey(const v1::PartialDate& d) {
  const int m = d.month() == 0 ? 12 : d.month();
  const int day = d.day() == 0 ? DaysInMonth(d.year(), m) : d.day();
  return static_cast<uint32_t>(d.year()) * 10000u + static_cast<uint32_t>(m) * 100u +
         static_cast<uint32_t>(day);
}

uint32_t DayBeforeKey(const v1::PartialDate& d) {
  if (d.day() > 1) return StartKey(d) - 1;
  if (d.month() > 1) {  // the period starts on the 1st: the previous month's last day
    v1::PartialDate prev;
    prev.set_year(d.year());
    prev.set_month(d.month() - 1);
    return EndKey(prev);
  }
  return static_cast<uint32_t>(d.year() - 1) * 10000u + 1231u;  // starts on January 1st
}

std::string PrecisionName(Precision p) {
  switch (p) {
    case Precision::kYear:
      return "year";
    case Precision::kMonth:
      return "month";
    case Precision::kDay:
      break;
  }
  return "day";
}

}  // namespace demarche::replay
