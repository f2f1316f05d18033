// Generic output helpers: aligned tables, protobuf JSON, numbers, enum names,
// and a readable field-by-field dump of any message.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/repeated_field.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <string_view>
#include <vector>

#include "demarche/v1/move.pb.h"

namespace demarche::cli {

// Columns padded to the widest cell; the last one is not padded and, when
// `width` > 0, is cut to fit it.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  std::string Render(size_t width = 0) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// One row with fixed column widths, for streams printed as they arrive.
std::string FixedRow(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                     size_t width = 0);

// Terminal columns when stdout is a terminal, else 0 (no cutting in pipes).
size_t TerminalWidth();
// Characters on screen (UTF-8 code points).
size_t DisplayWidth(std::string_view s);

// The canonical protobuf JSON mapping on one line (the bundle's format).
std::string ToJson(const google::protobuf::Message& m);
void PrintJson(const google::protobuf::Message& m);  // plus newline, flushed
// Strict parse (unknown fields are errors); on failure says why.
bool FromJson(std::string_view json, google::protobuf::Message* m, std::string* why);

std::string Quantity(double q);  // 250000 -> "250,000"; 0.5 -> "0.5"
std::string Hex(const std::string& bytes, size_t max_bytes = 0);
std::string Time(const google::protobuf::Timestamp& t);  // RFC 3339 to the second, "" if unset
std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items,
                 std::string_view sep = ",");
// "AID_ACTION_PLEDGE" -> "pledge": the enum's shared prefix dropped, lower case.
std::string EnumName(const google::protobuf::EnumValueDescriptor* v);

// "USA → PRK: 500,000 t heavy fuel oil": who gives what to whom.
std::string TermText(const v1::Term& t);

// A readable "name  value" dump of the set fields of a message, nested
// messages indented, appended to *out.
void DumpFields(const google::protobuf::Message& m, int indent, std::string* out);

}  // namespace demarche::cli
