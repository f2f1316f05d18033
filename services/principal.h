// Who is calling. Every write records the caller as recorded_by / owner /
// created_by, and (with issue 5) every call is authorised by the caller's role.
//
// The seam for authentication: a token AuthMetadataProcessor (or interceptor)
// validates the bearer token and adds the principal's name and role to the
// call's AuthContext under kPrincipalProperty / kRoleProperty. Handlers only
// ever ask PrincipalFromContext, so nothing else changes when auth lands.
#pragma once

#include <string>

#include <grpcpp/server_context.h>

namespace demarche::services {

inline constexpr char kPrincipalProperty[] = "demarche.principal";
inline constexpr char kRoleProperty[] = "demarche.role";

struct Principal {
  std::string name;
  std::string role;  // empty until tokens exist: unauthenticated local use
};

// The authenticated principal of the call, or `fallback` (the server's
// configured local principal) when the call carries no identity.
Principal PrincipalFromContext(const grpc::ServerContext* context, const std::string& fallback);

}  // namespace demarche::services
