// Snapshot codec: keys (fold position, bytewise = fold order) and values
// (ReplaySnapshot). Pure; the engine stores them through the ledger.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replay/fold.h"

namespace demarche::replay {

// 2: keys name the folded lists (FieldSet) before the position.
inline constexpr uint32_t kSnapshotFormat = 2;

// A place in fold order: (occurred sort key, seq).
struct Position {
  uint32_t key = 0;
  uint64_t seq = 0;
  friend auto operator<=>(const Position&, const Position&) = default;
};

// 14 bytes, big-endian: the folded lists (FieldSet bits), then the sort key,
// then seq. The snapshots of one folded set are contiguous, and in fold
// order among themselves.
std::string SnapshotKey(FieldSet folded, const Position& pos);
// The first key after every snapshot of `folded`.
std::string SnapshotKeyEnd(FieldSet folded);
struct SnapshotKeyParts {
  FieldSet folded;
  Position pos;
};
std::optional<SnapshotKeyParts> ParseSnapshotKey(std::string_view bytes);

struct Snapshot {
  FoldState state;
  Position position;        // last folded event
  uint64_t built_head = 0;  // head whose events and corrections were considered
};

// Deterministic bytes of a ReplaySnapshot.
std::string EncodeSnapshot(const FoldState& state, const Position& position, uint64_t built_head);
// nullopt if the bytes do not parse or carry another format version. The
// state shows `fields` (whose Folded() set the snapshot was built for). Takes
// the bytes over and frees them once parsed, before the state is rebuilt: a
// snapshot is as large as the state, and the two need not be held at once.
std::optional<Snapshot> DecodeSnapshot(std::string bytes, FieldSet fields = {});

}  // namespace demarche::replay
