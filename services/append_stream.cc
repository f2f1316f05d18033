#include "services/append_stream.h"

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "services/raw_message.h"
#include "services/rpc.h"
#include "services/status.h"

namespace demarche::services {
namespace {

using Bytes = grpc::ByteBuffer;

// Bytes of parsed batches waiting for the worker before reading pauses: the
// batches that arrive while one is appended (and its fsync runs) share the
// next group commit. One batch always fits, however large.
constexpr size_t kMaxParsedBytes = 1 << 20;
// Responses the client has not taken yet; the worker waits beyond this, so a
// client that stops reading stops its appends too.
constexpr size_t kMaxUnsent = 16;

std::string BatchPath(uint64_t batch) { return fmt::format("batch[{}]", batch); }

class AppendStreamReactor final : public grpc::ServerBidiReactor<Bytes, Bytes> {
 public:
  AppendStreamReactor(grpc::CallbackServerContext* context, PrepareBatch prepare,
                      AppendBatches append)
      : context_(context), prepare_(std::move(prepare)), append_(std::move(append)) {
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
    std::optional<absl::StatusOr<StreamBatch>> batch;
    const size_t bytes = ok ? incoming_.Length() : 0;
    if (ok) batch = ReadBatch();
    incoming_.Clear();
    bool read_more = false;
    std::vector<std::vector<StreamBatch>> spent;
    {
      std::lock_guard lock(mu_);
      spent.swap(spent_);
      read_pending_ = false;
      if (!batch.has_value() || !batch->ok()) reads_done_ = true;  // nothing follows a bad batch
      if (batch.has_value() && !stopped_) {
        parsed_.push_back({*std::move(batch), bytes});
        parsed_bytes_ += bytes;
        ++batches_read_;
      }
      read_more = ClaimReadLocked();
    }
    cv_.notify_all();
    if (read_more) StartRead(&incoming_);
  }

  void OnWriteDone(bool ok) override {
    Bytes* next = nullptr;
    std::optional<grpc::Status> finish;
    std::vector<std::vector<StreamBatch>> spent;
    {
      std::lock_guard lock(mu_);
      spent.swap(spent_);
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
  // Whether to start the next read (gRPC allows one at a time); if so, it
  // counts as pending from here on.
  bool ClaimReadLocked() {
    if (read_pending_ || reads_done_ || stopped_ ||
        (!parsed_.empty() && parsed_bytes_ >= kMaxParsedBytes))
      return false;
    read_pending_ = true;
    return true;
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

  // Appends what has been parsed, run after run, until the client
  // half-closes, a batch fails or the call is cancelled; then hands the final
  // status over.
  void Work() {
    // Named so that top and perf tell it from gRPC's threads.
    pthread_setname_np(pthread_self(), "append-stream");
    absl::Status status;
    for (uint64_t batch = 0; status.ok();) {
      std::vector<StreamBatch> run;
      absl::Status unreadable;  // a batch that failed to parse or to prepare
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
        while (!parsed_.empty() && unreadable.ok()) {
          Parsed& front = parsed_.front();
          if (front.batch.ok()) {
            run.push_back(*std::move(front.batch));
          } else {
            unreadable = front.batch.status();
          }
          parsed_bytes_ -= front.bytes;
          parsed_.pop_front();
        }
        read_more = ClaimReadLocked();
      }
      if (read_more) StartRead(&incoming_);
      std::vector<absl::StatusOr<v1::AppendResponse>> answers;
      if (!run.empty()) answers = AppendRun(run);
      for (auto& answer : answers) {
        if (!answer.ok()) {
          status = Prefixed(answer.status(), BatchPath(batch));
          break;
        }
        status = Send(*answer, batch);
        if (!status.ok()) break;
        ++batch;
      }
      if (status.ok() && answers.size() < run.size())
        status = absl::InternalError(BatchPath(batch) + ": the append gave no answer");
      if (status.ok()) status = unreadable;
      // Freed by gRPC's threads (OnReadDone, OnWriteDone), which parsed
      // them: a thousand events took a tenth of this thread's time to free.
      std::lock_guard lock(mu_);
      spent_.push_back(std::move(run));
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

  // Queues a batch's answer for the client.
  absl::Status Send(const v1::AppendResponse& response, uint64_t batch) {
    Bytes bytes;
    if (absl::Status s = EncodeRaw(response, &bytes, BatchPath(batch)); !s.ok()) return s;
    Bytes* next = nullptr;
    {
      std::lock_guard lock(mu_);
      unsent_.push_back(std::move(bytes));
      next = NextWriteLocked();
    }
    if (next != nullptr) StartWrite(next);
    return absl::OkStatus();
  }

  // The next batch, parsed from incoming_ and prepared.
  absl::StatusOr<StreamBatch> ReadBatch() {
    const std::string path = BatchPath(batches_read_);
    absl::StatusOr<v1::AppendRequest> request = ParseRaw<v1::AppendRequest>(&incoming_, path);
    if (!request.ok()) return request.status();
    StreamBatch batch{*std::move(request), {}};
    absl::Status prepared;
    try {
      prepared = prepare_(batch);
    } catch (...) {
      prepared = CurrentExceptionStatus();
    }
    if (!prepared.ok()) return Prefixed(prepared, path);
    return batch;
  }

  std::vector<absl::StatusOr<v1::AppendResponse>> AppendRun(std::vector<StreamBatch>& run) {
    try {
      return append_(run);
    } catch (...) {
      return {CurrentExceptionStatus()};
    }
  }

  grpc::CallbackServerContext* const context_;
  const PrepareBatch prepare_;
  const AppendBatches append_;
  Bytes incoming_;  // the read in flight (gRPC allows one at a time)
  std::thread worker_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Everything below is guarded by mu_.
  struct Parsed {
    absl::StatusOr<StreamBatch> batch;
    size_t bytes = 0;  // on the wire
  };
  std::deque<Parsed> parsed_;                    // a bad batch ends the queue
  std::vector<std::vector<StreamBatch>> spent_;  // appended runs, to be freed
  size_t parsed_bytes_ = 0;
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
    grpc::CallbackServerContext* context, PrepareBatch prepare, AppendBatches append,
    std::optional<absl::Status> refused) {
  if (refused.has_value()) return new AppendStreamReactor(context, *refused);
  return new AppendStreamReactor(context, std::move(prepare), std::move(append));
}

}  // namespace demarche::services
