// FieldSet: which PartyState lists a state query asks for, and which parts
// of the fold it takes to build them. A query for a few bounded lists
// (positions, relations, ...) folds and snapshots only those parts, so its
// snapshots stay small however long the branch grows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replay/items.h"

namespace demarche::replay {

class FieldSet {
 public:
  // Every list.
  FieldSet();
  static FieldSet None() { return FieldSet(0); }
  static FieldSet FromBits(uint16_t bits) { return FieldSet(bits & kAllBits); }

  bool Has(int field) const { return (bits_ >> field & 1u) != 0; }
  bool all() const { return bits_ == kAllBits; }
  bool empty() const { return bits_ == 0; }
  uint16_t bits() const { return bits_; }
  void Add(int field);

  // The lists the fold keeps to build these: a part of the fold updates
  // its lists together (the four offer lists share their offers; aid and
  // sanctions keep both sides), so asking for one list of a part folds all
  // of it.
  FieldSet Folded() const;

  friend bool operator==(const FieldSet&, const FieldSet&) = default;

 private:
  explicit FieldSet(uint16_t bits) : bits_(bits) {}
  static const uint16_t kAllBits;
  uint16_t bits_;
};

// The list named `name` (a PartyState field name: "positions", "aid_given",
// ...), or nullopt.
std::optional<Field> FieldByName(std::string_view name);

// The list names, comma-separated in field order (for error messages).
std::string FieldNames();

}  // namespace demarche::replay
