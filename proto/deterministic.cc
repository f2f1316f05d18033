#include "proto/deterministic.h"

#include <algorithm>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace demarche {

void SerializeDeterministic(const google::protobuf::Message& message, std::string* out,
                            size_t extra) {
  // A StringOutputStream would grow (and zero-fill) the string several times
  // per message; the size is known, so allocate at most once.
  const size_t size = message.ByteSizeLong();
  out->clear();
  // Grown by doubling, so a buffer reused over messages of varied sizes is
  // reallocated a few times, not at every new largest one.
  if (out->capacity() < size + extra) out->reserve(std::max(size + extra, 2 * out->capacity()));
  out->resize(size);
  google::protobuf::io::ArrayOutputStream raw(out->data(), static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  SerializeDeterministic(message, &out);
  return out;
}

}  // namespace demarche
