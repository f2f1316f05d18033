#include "proto/deterministic.h"

#include <algorithm>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace demarche {

void AppendDeterministic(const google::protobuf::Message& message, std::string* out, size_t extra) {
  // A StringOutputStream would grow (and zero-fill) the string several times
  // per message; the size is known, so allocate at most once.
  const size_t size = message.ByteSizeLong();
  const size_t start = out->size();
  const size_t need = start + size + extra;
  // Grown by doubling, so a buffer reused over messages of varied sizes is
  // reallocated a few times, not at every new largest one.
  if (out->capacity() < need) out->reserve(std::max(need, 2 * out->capacity()));
  out->resize(start + size);
  google::protobuf::io::ArrayOutputStream raw(out->data() + start, static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
}

void SerializeDeterministic(const google::protobuf::Message& message, std::string* out,
                            size_t extra) {
  out->clear();
  AppendDeterministic(message, out, extra);
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  SerializeDeterministic(message, &out);
  return out;
}

}  // namespace demarche
