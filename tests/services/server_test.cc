// The server around the services: health checking, reflection, binding,
// message limits, graceful shutdown.
#include <grpcpp/generic/generic_stub.h>

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/unknown_field_set.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "service_fixture.h"
#include "services/health_probe.h"

namespace demarche::testing {
namespace {

using ::testing::IsSupersetOf;
using HealthResponse = grpc::health::v1::HealthCheckResponse;

using ServerTest = ServiceTest;

HealthResponse::ServingStatus Health(grpc::Channel* channel, const std::string& service,
                                     grpc::Status* status) {
  auto stub = grpc::health::v1::Health::NewStub(
      std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {}));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  *status = stub->Check(&ctx, request, &response);
  return response.status();
}

TEST_F(ServerTest, HealthAnswersForTheServerAndEachService) {
  grpc::Status status;
  EXPECT_EQ(Health(channel_.get(), "", &status), HealthResponse::SERVING);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (const char* service :
       {"demarche.v1.ScenarioService", "demarche.v1.LedgerService", "demarche.v1.BranchService",
        "demarche.v1.ReplayService", "demarche.v1.AuditService"}) {
    EXPECT_EQ(Health(channel_.get(), service, &status), HealthResponse::SERVING) << service;
  }
  Health(channel_.get(), "no.such.Service", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  // The hand-rolled probe behind `demarched --check` agrees.
  auto serving = services::ProbeHealth(server_->address(), "", std::chrono::seconds(5));
  ASSERT_TRUE(serving.ok()) << serving.status();
  EXPECT_TRUE(*serving);
}

// One request/response exchange on grpc.reflection.v1alpha, in raw protobuf:
// the reflection messages live inside grpc++_reflection, which must not be
// linked twice (build.md).
std::string Reflect(const std::shared_ptr<grpc::Channel>& channel, int field,
                    const std::string& value) {
  std::string request;
  {
    google::protobuf::UnknownFieldSet fields;
    fields.AddLengthDelimited(field, value);
    fields.SerializeToString(&request);
  }
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  EXPECT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  EXPECT_TRUE(cq.Next(&tag, &ok) && ok);
  call->WritesDone(reinterpret_cast<void*>(3));
  EXPECT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(4));
  EXPECT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  EXPECT_TRUE(cq.Next(&tag, &ok) && ok);
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(in.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

// The length-delimited values of `field` in a serialized message.
std::vector<std::string> Field(const std::string& message, int field) {
  google::protobuf::UnknownFieldSet fields;
  EXPECT_TRUE(fields.ParseFromString(message));
  std::vector<std::string> out;
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() == field &&
        fields.field(i).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      out.push_back(fields.field(i).length_delimited());
    }
  }
  return out;
}

TEST_F(ServerTest, ReflectionListsServicesAndServesDescriptors) {
  // ServerReflectionRequest.list_services = 7 -> list_services_response = 6
  // { repeated ServiceResponse service = 1 { string name = 1 } }.
  std::string response = Reflect(channel_, 7, "*");
  auto lists = Field(response, 6);
  ASSERT_EQ(lists.size(), 1u);
  std::vector<std::string> names;
  for (const std::string& service : Field(lists[0], 1)) {
    auto name = Field(service, 1);
    if (!name.empty()) names.push_back(name[0]);
  }
  EXPECT_THAT(names, IsSupersetOf({"demarche.v1.ScenarioService", "demarche.v1.LedgerService",
                                   "demarche.v1.BranchService", "demarche.v1.ReplayService",
                                   "demarche.v1.AuditService", "grpc.health.v1.Health"}));

  // file_containing_symbol = 4 -> file_descriptor_response = 4
  // { repeated bytes file_descriptor_proto = 1 }: the .proto itself.
  response = Reflect(channel_, 4, "demarche.v1.LedgerService");
  auto files = Field(response, 4);
  ASSERT_EQ(files.size(), 1u);
  bool found = false;
  for (const std::string& bytes : Field(files[0], 1)) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    if (file.name() == "demarche/v1/ledger_service.proto") {
      found = true;
      ASSERT_EQ(file.service_size(), 1);
      EXPECT_EQ(file.service(0).name(), "LedgerService");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ServerTest, ABusyPortIsAnError) {
  services::ServerOptions options;
  options.listen = server_->address();
  auto second = services::Server::Start(ledger_.get(), options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("listen: cannot listen on"), absl::string_view::npos);
}

TEST_F(ServerTest, OversizedRequestsAreRefused) {
  StopServer();
  services::ServerOptions options;
  options.max_receive_message_bytes = 64 << 10;
  StartServer(options);
  CreateScenario();
  std::vector<v1::Event> events;
  for (int i = 0; i < 200; ++i) {
    auto e = MakeEvent("big" + std::to_string(i), "2003-01-01", {"USA"});
    e.set_summary(std::string(1000, 'x'));
    events.push_back(e);
  }
  v1::AppendResponse out;
  EXPECT_EQ(Append("main", events, &out).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Head(), 0u);
}

TEST_F(ServerTest, ShutdownRefusesNewCallsAndIsIdempotent) {
  CreateScenario();
  AppendNumbered(3);
  server_->Shutdown(std::chrono::seconds(2));
  v1::ListScenariosResponse list;
  auto status = scenarios_->ListScenarios(Ctx(std::chrono::seconds(2)).get(), {}, &list);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  server_->Shutdown(std::chrono::seconds(2));  // idempotent
}

}  // namespace
}  // namespace demarche::testing
