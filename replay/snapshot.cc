#include "replay/snapshot.h"

#include <utility>

#include "replay/items.h"

namespace demarche::replay {

std::string SnapshotKey(const Position& pos) {
  std::string out(12, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((pos.key >> (8 * (3 - i))) & 0xff);
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<char>((pos.seq >> (8 * (7 - i))) & 0xff);
  return out;
}

std::optional<Position> ParseSnapshotKey(std::string_view bytes) {
  if (bytes.size() != 12) return std::nullopt;
  Position pos;
  for (int i = 0; i < 4; ++i) pos.key = (pos.key << 8) | static_cast<uint8_t>(bytes[i]);
  for (int i = 0; i < 8; ++i) pos.seq = (pos.seq << 8) | static_cast<uint8_t>(bytes[4 + i]);
  return pos;
}

std::string EncodeSnapshot(const FoldState& state, const Position& position, uint64_t built_head) {
  v1::ReplaySnapshot snap;
  snap.set_format(kSnapshotFormat);
  *snap.mutable_state() = state.ToProto();
  snap.set_position_key(position.key);
  snap.set_position_seq(position.seq);
  snap.set_built_head(built_head);
  snap.set_month_end_max(state.month_end_max());
  snap.set_year_end_max(state.year_end_max());
  return ItemBytes(snap);
}

std::optional<Snapshot> DecodeSnapshot(std::string bytes) {
  v1::ReplaySnapshot snap;
  if (!snap.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      snap.format() != kSnapshotFormat)
    return std::nullopt;
  std::string().swap(bytes);
  return Snapshot{FoldState::FromProto(std::move(*snap.mutable_state()), snap.month_end_max(),
                                       snap.year_end_max()),
                  Position{snap.position_key(), snap.position_seq()}, snap.built_head()};
}

}  // namespace demarche::replay
