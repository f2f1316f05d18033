#include "services/malformed_request.h"

#include <string>

#include <google/protobuf/descriptor.h>

#include <fmt/format.h>

namespace demarche::services {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/demarche.v1.LedgerService/Append" -> "demarche.v1.AppendRequest", or the
// method path itself for a method that is not ours.
std::string RequestType(const char* method) {
  std::string name = method != nullptr ? method : "";
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  std::string dotted = name;
  if (size_t slash = dotted.find('/'); slash != std::string::npos) dotted[slash] = '.';
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
  return descriptor != nullptr ? descriptor->input_type()->full_name() : name;
}

class MalformedRequestInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MalformedRequestInterceptor(grpc::experimental::ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty()) {
        methods->ModifySendStatus(
            grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         "request: " + UnparsableMessage(RequestType(info_->method()))));
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
};

}  // namespace

std::string UnparsableMessage(std::string_view type) {
  return fmt::format(
      "cannot be parsed as a {} (not protobuf, truncated, invalid UTF-8 in a string, or nested "
      "too deep)",
      type);
}

grpc::experimental::Interceptor* MalformedRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MalformedRequestInterceptor(info);
}

}  // namespace demarche::services
