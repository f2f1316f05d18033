#include "services/principal.h"

#include <grpcpp/security/auth_context.h>

namespace demarche::services {
namespace {

std::string FirstProperty(const grpc::AuthContext& auth, const char* name) {
  std::vector<grpc::string_ref> values = auth.FindPropertyValues(name);
  if (values.empty()) return {};
  return std::string(values.front().data(), values.front().size());
}

}  // namespace

Principal PrincipalFromContext(const grpc::ServerContext* context, const std::string& fallback) {
  Principal principal{fallback, ""};
  if (context == nullptr) return principal;
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth == nullptr) return principal;
  if (std::string name = FirstProperty(*auth, kPrincipalProperty); !name.empty()) {
    principal.name = std::move(name);
    principal.role = FirstProperty(*auth, kRoleProperty);
  }
  return principal;
}

}  // namespace demarche::services
