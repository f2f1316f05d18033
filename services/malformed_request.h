// gRPC's sync server answers a request body it cannot parse (not protobuf,
// truncated, invalid UTF-8 in a string, nested too deep) with INTERNAL and an
// empty message, before any handler runs: a client could not tell its own bad
// request from a server fault. This interceptor rewrites exactly that status
// into INVALID_ARGUMENT naming the request type. Handlers never send INTERNAL
// without a message (rpc.h), so nothing else is touched.
#pragma once

#include <string>
#include <string_view>

#include <grpcpp/support/server_interceptor.h>

namespace demarche::services {

// What a request that cannot be parsed as `type` (a full message name) is told.
std::string UnparsableMessage(std::string_view type);

class MalformedRequestInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace demarche::services
