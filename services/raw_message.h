// Messages of the methods served on raw bytes (Append, AppendStream): they
// parse their requests themselves so that one that cannot be parsed is
// answered with INVALID_ARGUMENT naming it and where it was.
#pragma once

#include <string_view>

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/malformed_request.h"

namespace demarche::services {

// Parses `bytes` (consumed) as a Request; `path` names it in the error
// ("request", "batch[3]").
template <typename Request>
absl::StatusOr<Request> ParseRaw(grpc::ByteBuffer* bytes, std::string_view path) {
  Request request;
  if (!grpc::SerializationTraits<Request>::Deserialize(bytes, &request).ok())
    return absl::InvalidArgumentError(std::string(path) + ": " +
                                      UnparsableMessage(Request::descriptor()->full_name()));
  return request;
}

// Encodes `response` into `bytes`; `path` names it in the error.
template <typename Response>
absl::Status EncodeRaw(const Response& response, grpc::ByteBuffer* bytes, std::string_view path) {
  bool own_buffer = false;
  if (!grpc::SerializationTraits<Response>::Serialize(response, bytes, &own_buffer).ok())
    return absl::InternalError(std::string(path) + ": cannot encode the response");
  return absl::OkStatus();
}

}  // namespace demarche::services
