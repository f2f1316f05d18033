#include "replay/snapshot.h"

#include <utility>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"

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
  // ReplaySnapshot field by field, in number order and without the zero
  // scalars, as the deterministic serializer writes it (a test holds the two
  // equal); the state (field 2) is written by the fold itself.
  using WFL = google::protobuf::internal::WireFormatLite;
  auto scalars = [](std::string* out, auto write) {
    google::protobuf::io::StringOutputStream stream(out);
    google::protobuf::io::CodedOutputStream cos(&stream);
    write(&cos);
  };
  std::string out;
  scalars(&out, [](google::protobuf::io::CodedOutputStream* cos) {
    WFL::WriteUInt32(v1::ReplaySnapshot::kFormatFieldNumber, kSnapshotFormat, cos);
  });
  state.AppendProtoField(v1::ReplaySnapshot::kStateFieldNumber, &out);
  scalars(&out, [&](google::protobuf::io::CodedOutputStream* cos) {
    if (position.key)
      WFL::WriteUInt32(v1::ReplaySnapshot::kPositionKeyFieldNumber, position.key, cos);
    if (position.seq)
      WFL::WriteUInt64(v1::ReplaySnapshot::kPositionSeqFieldNumber, position.seq, cos);
    if (built_head) WFL::WriteUInt64(v1::ReplaySnapshot::kBuiltHeadFieldNumber, built_head, cos);
    if (state.month_end_max())
      WFL::WriteUInt32(v1::ReplaySnapshot::kMonthEndMaxFieldNumber, state.month_end_max(), cos);
    if (state.year_end_max())
      WFL::WriteUInt32(v1::ReplaySnapshot::kYearEndMaxFieldNumber, state.year_end_max(), cos);
  });
  return out;
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
