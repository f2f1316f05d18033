#include "services/append_stream.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <grpcpp/impl/codegen/proto_utils.h>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "services/malformed_request.h"
#include "services/rpc.h"
#include "services/status.h"

namespace demarche::services {
namespace {

using Bytes = grpc::ByteBuffer;

// Parsed batches waiting for the worker: with one being appended and one
// being received, a stream holds at most this many plus two in memory.
constexpr size_t kMaxParsed = 2;
// Responses the client has not taken yet; the worker waits beyond this, so a
// client that stops reading stops its appends too.
constexpr size_t kMaxUnsent = 16;

std::string BatchPath(uint64_t batch) { return fmt::format("batch[{}]", batch); }

absl::StatusOr<v1::AppendRequest> ParseBatch(Bytes* bytes, uint64_t batch) {
  v1::AppendRequest request;
  if (!grpc::SerializationTraits<v1::AppendRequest>::Deserialize(bytes, &request).ok()) {
    return absl::InvalidArgumentError(
        BatchPath(batch) + ": " + UnparsableMessage(v1::AppendRequest::descriptor()->full_name()));
  }
  return request;
}

class AppendStreamReactor final : public grpc::ServerBidiReactor<Bytes, Bytes> {
 public:
  AppendStreamReactor(grpc::CallbackServerContext* context, AppendBatch append)
      : context_(context), append_(std::move(append)) {
    read_pending_ = true;
    StartRead(&incoming_);
    worker_ = std::thread([this] { Work(); });
  }

  // A call refused before any batch is read.
  AppendStreamReactor(grpc::CallbackServerContext* context, const absl::Status& refused)
      : context_(context) {
    LogRpcFailure(context_, "AppendStream", refused);
    Finish(ToGrpcStatus(refused));
  }

  void OnReadDone(bool ok) override {
    std::optional<absl::StatusOr<v1::AppendRequest>> batch;
    if (ok) batch = ParseBatch(&incoming_, batches_read_);
    incoming_.Clear();
    bool read_more = false;
    {
      std::lock_guard lock(mu_);
      read_pending_ = false;
      if (!batch.has_value() || !batch->ok()) reads_done_ = true;  // nothing follows a bad batch
      if (batch.has_value() && !stopped_) {
        parsed_.push_back(*std::move(batch));
        ++batches_read_;
      }
      read_more = MayReadLocked();
      read_pending_ = read_more;
    }
    cv_.notify_all();
    if (read_more) StartRead(&incoming_);
  }

  void OnWriteDone(bool ok) override {
    Bytes* next = nullptr;
    std::optional<grpc::Status> finish;
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      unsent_.pop_front();
      if (!ok) client_gone_ = true;
      next = NextWriteLocked();
      finish = TakeFinishLocked();
    }
    cv_.notify_all();
    if (next != nullptr) StartWrite(next);
    if (finish.has_value()) Finish(*std::move(finish));
  }

  void OnCancel() override {
    {
      std::lock_guard lock(mu_);
      client_gone_ = true;
    }
    cv_.notify_all();
  }

  void OnDone() override {
    // The worker has handed over its status, so it is about to return.
    if (worker_.joinable()) {
      if (worker_.get_id() == std::this_thread::get_id()) {
        worker_.detach();
      } else {
        worker_.join();
      }
    }
    delete this;
  }

 private:
  bool MayReadLocked() const {
    return !read_pending_ && !reads_done_ && !stopped_ && parsed_.size() < kMaxParsed;
  }

  // The response to write next, if one waits and none is being written
  // (gRPC allows one write at a time). Responses stay put in the deque
  // until written, so the pointer outlives the lock.
  Bytes* NextWriteLocked() {
    if (writing_ || client_gone_ || unsent_.empty()) return nullptr;
    writing_ = true;
    return &unsent_.front();
  }

  // The final status, once the worker has set it and every response it
  // queued has been sent (or can no longer be).
  std::optional<grpc::Status> TakeFinishLocked() {
    if (!final_.has_value() || finished_ || writing_ || (!unsent_.empty() && !client_gone_))
      return {};
    finished_ = true;
    return std::move(final_);
  }

  // Appends batch after batch until the client half-closes, a batch fails or
  // the call is cancelled; then hands the final status over.
  void Work() {
    absl::Status status;
    for (uint64_t batch = 0;; ++batch) {
      absl::StatusOr<v1::AppendRequest> request;
      bool read_more = false;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] {
          return client_gone_ || (unsent_.size() < kMaxUnsent && (!parsed_.empty() || reads_done_));
        });
        if (client_gone_) {
          status = CancelledStatus(context_);
          break;
        }
        if (parsed_.empty()) break;  // the client half-closed: done
        request = std::move(parsed_.front());
        parsed_.pop_front();
        read_more = MayReadLocked();
        read_pending_ = read_pending_ || read_more;
      }
      if (read_more) StartRead(&incoming_);
      if (!request.ok()) {
        status = request.status();
        break;
      }
      v1::AppendResponse response;
      status = Prefixed(AppendOne(*request, &response), BatchPath(batch));
      if (!status.ok()) break;
      Bytes bytes;
      bool own_buffer = false;
      if (grpc::Status s = grpc::SerializationTraits<v1::AppendResponse>::Serialize(
              response, &bytes, &own_buffer);
          !s.ok()) {
        status = absl::InternalError(BatchPath(batch) + ": cannot encode the response");
        break;
      }
      Bytes* next = nullptr;
      {
        std::lock_guard lock(mu_);
        unsent_.push_back(std::move(bytes));
        next = NextWriteLocked();
      }
      if (next != nullptr) StartWrite(next);
    }
    if (!status.ok()) LogRpcFailure(context_, "AppendStream", status);
    std::optional<grpc::Status> finish;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      final_ = ToGrpcStatus(status);
      finish = TakeFinishLocked();
    }
    if (finish.has_value()) Finish(*std::move(finish));
  }

  absl::Status AppendOne(v1::AppendRequest& request, v1::AppendResponse* response) {
    try {
      return append_(request, response);
    } catch (const std::exception& e) {
      return absl::InternalError(std::string("unexpected error: ") + e.what());
    } catch (...) {
      return absl::InternalError("unexpected error");
    }
  }

  grpc::CallbackServerContext* const context_;
  const AppendBatch append_;
  Bytes incoming_;  // the read in flight (gRPC allows one at a time)
  std::thread worker_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Everything below is guarded by mu_.
  std::deque<absl::StatusOr<v1::AppendRequest>> parsed_;  // a bad batch ends the queue
  uint64_t batches_read_ = 0;
  bool read_pending_ = false;
  bool reads_done_ = false;   // half-closed by the client, or a bad batch was read
  bool client_gone_ = false;  // cancelled, past its deadline, or a write failed
  bool stopped_ = false;      // the worker has ended: read nothing more
  std::deque<Bytes> unsent_;  // responses not yet written; the front one may be in flight
  bool writing_ = false;
  std::optional<grpc::Status> final_;
  bool finished_ = false;
};

}  // namespace

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StartAppendStream(
    grpc::CallbackServerContext* context, AppendBatch append, std::optional<absl::Status> refused) {
  if (refused.has_value()) return new AppendStreamReactor(context, *refused);
  return new AppendStreamReactor(context, std::move(append));
}

}  // namespace demarche::services
