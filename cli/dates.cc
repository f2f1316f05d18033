#include "cli/dates.h"

#include <fmt/format.h>

#include <charconv>

#include "cli/cli.h"

namespace demarche::cli {
namespace {

bool Number(std::string_view s, size_t digits, int* out) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return std::from_chars(s.data(), s.data() + s.size(), *out).ec == std::errc();
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

bool ParseDate(std::string_view text, v1::PartialDate* out, std::string* why) {
  constexpr const char* kForms = "use YYYY, YYYY-MM or YYYY-MM-DD";
  int year = 0, month = 0, day = 0;
  bool shape = Number(text.substr(0, 4), 4, &year) &&
               (text.size() == 4 ||
                (text.size() >= 7 && text[4] == '-' && Number(text.substr(5, 2), 2, &month) &&
                 (text.size() == 7 ||
                  (text.size() == 10 && text[7] == '-' && Number(text.substr(8), 2, &day)))));
  if (!shape) {
    *why = fmt::format("\"{}\" is not a date: {}", text, kForms);
    return false;
  }
  if (year < 1) {
    *why = fmt::format("\"{}\": year must be 1-9999", text);
    return false;
  }
  if (text.size() >= 7 && (month < 1 || month > 12)) {
    *why = fmt::format("\"{}\": month must be 01-12", text);
    return false;
  }
  if (text.size() == 10 && (day < 1 || day > DaysIn(year, month))) {
    *why = fmt::format("\"{}\": {:04}-{:02} has no day {:02}", text, year, month, day);
    return false;
  }
  out->set_year(year);
  out->set_month(month);
  out->set_day(day);
  return true;
}

v1::PartialDate DateArg(std::string_view text, std::string_view flag) {
  v1::PartialDate date;
  std::string why;
  if (!ParseDate(text, &date, &why)) throw CliError(kRefused, fmt::format("{}: {}", flag, why));
  return date;
}

std::string FormatDate(const v1::PartialDate& d) {
  if (d.year() == 0) return "";
  if (d.month() == 0) return fmt::format("{:04}", d.year());
  if (d.day() == 0) return fmt::format("{:04}-{:02}", d.year(), d.month());
  return fmt::format("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
}

}  // namespace demarche::cli
