#include "replay/snapshot.h"

#include <utility>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"

namespace demarche::replay {

namespace {

template <typename T>
void PutBig(T v, std::string* out) {
  for (size_t i = sizeof(T); i-- > 0;) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

template <typename T>
T GetBig(std::string_view bytes) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    v = static_cast<T>(v << 8 | static_cast<uint8_t>(bytes[i]));
  return v;
}

}  // namespace

std::string SnapshotKey(FieldSet folded, const Position& pos) {
  std::string out;
  out.reserve(14);
  PutBig(folded.bits(), &out);
  PutBig(pos.key, &out);
  PutBig(pos.seq, &out);
  return out;
}

std::string SnapshotKeyEnd(FieldSet folded) {
  std::string out;
  PutBig(static_cast<uint16_t>(folded.bits() + 1), &out);
  return out;
}

std::optional<SnapshotKeyParts> ParseSnapshotKey(std::string_view bytes) {
  if (bytes.size() != 14) return std::nullopt;
  const uint16_t bits = GetBig<uint16_t>(bytes);
  const FieldSet folded = FieldSet::FromBits(bits);
  // Only sets a fold keeps (closed over its parts) name snapshots.
  if (folded.bits() != bits || folded.Folded() != folded || folded.empty()) return std::nullopt;
  return SnapshotKeyParts{
      folded, Position{GetBig<uint32_t>(bytes.substr(2)), GetBig<uint64_t>(bytes.substr(6))}};
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

std::optional<Snapshot> DecodeSnapshot(std::string bytes, FieldSet fields) {
  v1::ReplaySnapshot snap;
  if (!snap.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      snap.format() != kSnapshotFormat)
    return std::nullopt;
  std::string().swap(bytes);
  return Snapshot{FoldState::FromProto(std::move(*snap.mutable_state()), snap.month_end_max(),
                                       snap.year_end_max(), fields),
                  Position{snap.position_key(), snap.position_seq()}, snap.built_head()};
}

}  // namespace demarche::replay
