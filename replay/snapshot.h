// Snapshot codec: keys (fold position, bytewise = fold order) and values
// (ReplaySnapshot). Pure; the engine stores them through the ledger.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replay/fold.h"

namespace demarche::replay {

inline constexpr uint32_t kSnapshotFormat = 1;

// A place in fold order: (occurred sort key, seq).
struct Position {
  uint32_t key = 0;
  uint64_t seq = 0;
  friend auto operator<=>(const Position&, const Position&) = default;
};

// 12 bytes: key then seq, big-endian, so byte order is fold order.
std::string SnapshotKey(const Position& pos);
std::optional<Position> ParseSnapshotKey(std::string_view bytes);

struct Snapshot {
  FoldState state;
  Position position;        // last folded event
  uint64_t built_head = 0;  // head whose events and corrections were considered
};

// Deterministic bytes of a ReplaySnapshot.
std::string EncodeSnapshot(const FoldState& state, const Position& position, uint64_t built_head);
// nullopt if the bytes do not parse or carry another format version. Takes
// the bytes over and frees them once parsed, before the state is rebuilt: a
// snapshot is as large as the state, and the two need not be held at once.
std::optional<Snapshot> DecodeSnapshot(std::string bytes);

}  // namespace demarche::replay
