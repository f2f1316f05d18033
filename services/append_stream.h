// AppendStream on gRPC's callback API. gRPC's threads parse and prepare the
// next batch while a worker thread appends the current one, so a bulk load keeps both
// halves of the work busy at once (the sync API serves a stream on one
// thread, and cannot end a call with a failed batch's status while a read is
// pending). Batches are appended in order: a failed batch ends the call with
// its status, earlier batches stay committed and later ones are never
// appended.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "demarche/v1/ledger_service.pb.h"
#include "ledger/ledger.h"

namespace demarche::services {

// One batch of the stream as read: the request, and the append the service
// prepared from it on the reading thread (its events moved in).
struct StreamBatch {
  v1::AppendRequest request;
  ledger::AppendBatch append;
};

// Run on gRPC's reading thread for each batch as it is parsed, in order:
// checks it and does the work of its append that needs no lock, off the
// appending thread. A refusal ends the call once the batches before it are
// appended and answered.
using PrepareBatch = std::function<absl::Status(StreamBatch&)>;

// Appends batches in order and answers each, up to and including the first
// that fails (the batches are the stream's to give: their events are put
// back into the requests after the append, so that the stream frees them
// off its appending thread). A stream hands over every batch that queued up
// while the previous ones were appended, so they can share one group commit.
using AppendBatches =
    std::function<std::vector<absl::StatusOr<v1::AppendResponse>>(std::vector<StreamBatch>&)>;

// Serves one AppendStream call with `prepare` and `append`, or ends it at
// once with `refused` (an authorisation failure). The reactor deletes
// itself when gRPC is done with the call. Requests arrive as bytes so that
// one that cannot be parsed ends the call with INVALID_ARGUMENT naming its
// batch, rather than looking like the end of the stream.
grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StartAppendStream(
    grpc::CallbackServerContext* context, PrepareBatch prepare, AppendBatches append,
    std::optional<absl::Status> refused = std::nullopt);

}  // namespace demarche::services
