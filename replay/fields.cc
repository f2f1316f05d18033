#include "replay/fields.h"

namespace demarche::replay {
namespace {

constexpr Field kEvery[] = {kPositions,         kDemandsMade,       kDemandsFaced, kProposalsMade,
                            kProposalsReceived, kAgreements,        kAidGiven,     kAidReceived,
                            kSanctionsImposed,  kSanctionsSuffered, kRelations,    kForums,
                            kConcessions};

constexpr uint16_t Bit(int field) { return static_cast<uint16_t>(1u << field); }

constexpr uint16_t EveryBit() {
  uint16_t bits = 0;
  for (Field f : kEvery) bits |= Bit(f);
  return bits;
}

// Lists one part of the fold keeps together.
constexpr uint16_t kParts[] = {
    Bit(kDemandsMade) | Bit(kDemandsFaced) | Bit(kProposalsMade) | Bit(kProposalsReceived),
    Bit(kAidGiven) | Bit(kAidReceived),
    Bit(kSanctionsImposed) | Bit(kSanctionsSuffered),
};

}  // namespace

const uint16_t FieldSet::kAllBits = EveryBit();

FieldSet::FieldSet() : bits_(kAllBits) {}

void FieldSet::Add(int field) { bits_ = static_cast<uint16_t>(bits_ | (Bit(field) & kAllBits)); }

FieldSet FieldSet::Folded() const {
  uint16_t bits = bits_;
  for (uint16_t part : kParts)
    if ((bits & part) != 0) bits |= part;
  return FieldSet(bits);
}

std::optional<Field> FieldByName(std::string_view name) {
  for (Field f : kEvery)
    if (FieldName(f) == name) return f;
  return std::nullopt;
}

std::string FieldNames() {
  std::string out;
  for (Field f : kEvery) {
    if (!out.empty()) out += ", ";
    out += FieldName(f);
  }
  return out;
}

}  // namespace demarche::replay
