#include "cli/output.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/dates.h"
#include "demarche/v1/date.pb.h"
#include "demarche/v1/move.pb.h"

namespace demarche::cli {

namespace pb = google::protobuf;

size_t DisplayWidth(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

namespace {

// Cuts s to at most `cols` code points, ending in "…" when cut.
std::string Cut(const std::string& s, size_t cols) {
  if (DisplayWidth(s) <= cols || cols == 0) return s;
  size_t seen = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((s[i] & 0xC0) != 0x80 && seen++ == cols - 1) break;
  }
  std::string head = s.substr(0, i);
  while (!head.empty() && head.back() == ' ') head.pop_back();
  return head + "…";
}

void AppendRow(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
               size_t width, std::string* out) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    bool last = i + 1 == cells.size();
    if (last) {
      size_t used = DisplayWidth(line);
      line += width > used + 8 ? Cut(cells[i], width - used) : cells[i];
    } else {
      line += cells[i];
      size_t w = i < widths.size() ? widths[i] : 0;
      line.append(w > DisplayWidth(cells[i]) ? w - DisplayWidth(cells[i]) : 0, ' ');
      line += "  ";
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  *out += line + "\n";
}

}  // namespace

std::string Table::Render(size_t width) const {
  std::vector<size_t> widths(headers_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  };
  measure(headers_);
  for (const auto& r : rows_) measure(r);
  std::string out;
  AppendRow(headers_, widths, width, &out);
  for (const auto& r : rows_) AppendRow(r, widths, width, &out);
  return out;
}

std::string FixedRow(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                     size_t width) {
  std::string out;
  AppendRow(cells, widths, width, &out);
  return out;
}

size_t TerminalWidth() {
  if (!isatty(STDOUT_FILENO)) return 0;
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 100;
}

std::string ToJson(const pb::Message& m) {
  std::string out;  // lowerCamelCase names, as in data/*/events.jsonl
  auto status = pb::util::MessageToJsonString(m, &out);
  if (!status.ok()) return fmt::format("{{\"error\":\"{}\"}}", status.ToString());
  return out;
}

void PrintJson(const pb::Message& m) {
  std::string line = ToJson(m) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

bool FromJson(std::string_view json, pb::Message* m, std::string* why) {
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;  // a typo in a field name must not vanish
  auto status = pb::util::JsonStringToMessage(std::string(json), m, opts);
  if (!status.ok()) *why = status.ToString();
  return status.ok();
}

std::string Quantity(double q) {
  if (q != std::floor(q) || std::fabs(q) >= 1e15) return fmt::format("{}", q);
  std::string digits = fmt::format("{}", static_cast<int64_t>(std::fabs(q)));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return q < 0 ? "-" + out : out;
}

std::string Hex(const std::string& bytes, size_t max_bytes) {
  std::string out;
  size_t n = max_bytes ? std::min(max_bytes, bytes.size()) : bytes.size();
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", static_cast<uint8_t>(bytes[i]));
  return out;
}

std::string Time(const pb::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  pb::Timestamp seconds;  // whole seconds read better; --json keeps the nanos
  seconds.set_seconds(t.seconds());
  return pb::util::TimeUtil::ToString(seconds);
}

std::string Join(const pb::RepeatedPtrField<std::string>& items, std::string_view sep) {
  return fmt::format("{}", fmt::join(items.begin(), items.end(), sep));
}

std::string TermText(const v1::Term& t) {
  std::string who = t.giver();
  if (!t.receiver().empty()) who += " → " + t.receiver();
  std::string material;
  if (!t.commodity().empty()) {
    material = t.quantity() > 0
                   ? fmt::format("{} {} {}", Quantity(t.quantity()), t.unit(), t.commodity())
                   : t.commodity();
  }
  std::string what = t.what();
  if (!material.empty()) what = what.empty() ? material : fmt::format("{} ({})", what, material);
  if (!t.issue().empty()) what += fmt::format(" [{}]", t.issue());
  return who.empty() ? what : who + ": " + what;
}

std::string EnumName(const pb::EnumValueDescriptor* v) {
  if (v == nullptr) return "";
  const pb::EnumDescriptor* e = v->type();
  // The longest prefix every value shares, cut back to a '_'.
  std::string prefix = e->value(0)->name();
  for (int i = 1; i < e->value_count(); ++i) {
    const std::string& n = e->value(i)->name();
    size_t k = 0;
    while (k < prefix.size() && k < n.size() && prefix[k] == n[k]) ++k;
    prefix.resize(k);
  }
  prefix.resize(prefix.rfind('_') == std::string::npos ? 0 : prefix.rfind('_') + 1);
  std::string out = v->name().substr(prefix.size());
  for (char& c : out) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return out;
}

namespace {

// A scalar or short message field value as one line of text.
std::string Scalar(const pb::Message& m, const pb::FieldDescriptor* f, int i) {
  const pb::Reflection* r = m.GetReflection();
  bool rep = f->is_repeated();
  using FD = pb::FieldDescriptor;
  switch (f->cpp_type()) {
    case FD::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
      return f->type() == FD::TYPE_BYTES ? Hex(s) : s;
    }
    case FD::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f)) ? "yes" : "no";
    case FD::CPPTYPE_DOUBLE:
      return Quantity(rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f));
    case FD::CPPTYPE_ENUM:
      return EnumName(rep ? r->GetRepeatedEnum(m, f, i) : r->GetEnum(m, f));
    case FD::CPPTYPE_INT32:
      return fmt::format("{}", rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f));
    case FD::CPPTYPE_UINT32:
      return fmt::format("{}", rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f));
    case FD::CPPTYPE_INT64:
      return fmt::format("{}", rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f));
    case FD::CPPTYPE_UINT64:
      return fmt::format("{}", rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f));
    case FD::CPPTYPE_FLOAT:
      return fmt::format("{}", rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f));
    case FD::CPPTYPE_MESSAGE: {
      const pb::Message& sub = rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
      if (auto* d = dynamic_cast<const v1::PartialDate*>(&sub)) return FormatDate(*d);
      if (auto* t = dynamic_cast<const v1::Term*>(&sub)) return TermText(*t);
      if (auto* ts = dynamic_cast<const pb::Timestamp*>(&sub)) return Time(*ts);
      return "";  // other messages are dumped field by field
    }
  }
  return "";
}

bool Inline(const pb::FieldDescriptor* f) {
  if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const pb::Descriptor* d = f->message_type();
  return d == v1::PartialDate::descriptor() || d == v1::Term::descriptor() ||
         d == pb::Timestamp::descriptor();
}

}  // namespace

void DumpFields(const pb::Message& m, int indent, std::string* out) {
  std::vector<const pb::FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  std::string pad(indent, ' ');
  for (const auto* f : fields) {
    const pb::Reflection* r = m.GetReflection();
    int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    if (!Inline(f)) {
      for (int i = 0; i < n; ++i) {
        *out += fmt::format("{}{}:\n", pad, f->name());
        const pb::Message& sub =
            f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
        DumpFields(sub, indent + 2, out);
      }
      continue;
    }
    if (f->is_repeated() && f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      *out += fmt::format("{}{}:\n", pad, f->name());
      for (int i = 0; i < n; ++i) *out += fmt::format("{}  - {}\n", pad, Scalar(m, f, i));
      continue;
    }
    std::vector<std::string> values;
    for (int i = 0; i < n; ++i) values.push_back(Scalar(m, f, i));
    *out += fmt::format("{}{}: {}\n", pad, f->name(), fmt::join(values, ", "));
  }
}

}  // namespace demarche::cli
