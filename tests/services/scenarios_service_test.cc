// ScenarioService through a real server.
#include "service_fixture.h"

namespace demarche::testing {
namespace {

using ScenarioServiceTest = ServiceTest;

TEST_F(ScenarioServiceTest, CreateGetList) {
  v1::Scenario created = CreateScenario("talks");
  EXPECT_EQ(created.name(), "talks");
  EXPECT_EQ(created.created_by(), "local");
  EXPECT_GT(created.created_at().seconds(), 0);
  EXPECT_EQ(created.roster_size(), 6);
  CreateScenario("alpha");

  v1::GetScenarioRequest get;
  get.set_name("talks");
  v1::Scenario got;
  ASSERT_TRUE(scenarios_->GetScenario(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());

  v1::ListScenariosResponse list;
  ASSERT_TRUE(scenarios_->ListScenarios(Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.scenarios_size(), 2);
  EXPECT_EQ(list.scenarios(0).name(), "alpha");
  EXPECT_EQ(list.scenarios(1).name(), "talks");

  // The trunk comes with it.
  EXPECT_EQ(Head("main"), 0u);
}

TEST_F(ScenarioServiceTest, CreateRejectsBadRequests) {
  v1::Scenario out;
  v1::CreateScenarioRequest request;
  EXPECT_STATUS(scenarios_->CreateScenario(Ctx().get(), request, &out),
                grpc::StatusCode::INVALID_ARGUMENT, "scenario: required");

  request.mutable_scenario()->set_name("Bad Name");
  request.mutable_scenario()->add_roster()->set_code("PRK");
  EXPECT_STATUS(scenarios_->CreateScenario(Ctx().get(), request, &out),
                grpc::StatusCode::INVALID_ARGUMENT, "scenario.name: \"Bad Name\" must match");

  request.mutable_scenario()->set_name("talks");
  request.mutable_scenario()->clear_roster();
  EXPECT_STATUS(scenarios_->CreateScenario(Ctx().get(), request, &out),
                grpc::StatusCode::INVALID_ARGUMENT, "scenario.roster: at least one party");

  request.mutable_scenario()->add_roster()->set_code("PRK");
  request.mutable_scenario()->add_roster()->set_code("prk");
  EXPECT_STATUS(scenarios_->CreateScenario(Ctx().get(), request, &out),
                grpc::StatusCode::INVALID_ARGUMENT, "scenario.roster[1].code");

  request.mutable_scenario()->mutable_roster(1)->set_code("PRK");
  EXPECT_STATUS(scenarios_->CreateScenario(Ctx().get(), request, &out),
                grpc::StatusCode::INVALID_ARGUMENT,
                "scenario.roster[1].code: \"PRK\" repeats roster[0].code");

  // Nothing was created by any of these.
  v1::ListScenariosResponse list;
  ASSERT_TRUE(scenarios_->ListScenarios(Ctx().get(), {}, &list).ok());
  EXPECT_EQ(list.scenarios_size(), 0);

  CreateScenario("talks");
  request.mutable_scenario()->mutable_roster()->RemoveLast();
  EXPECT_STATUS(scenarios_->CreateScenario(Ctx().get(), request, &out),
                grpc::StatusCode::ALREADY_EXISTS, "talks");
}

// The largest roster allowed is created and served whole (a 100k-party
// roster once took 31 s to check; the limit and a linear check bound it).
TEST_F(ScenarioServiceTest, ARosterAtItsLimitIsAcceptedAndOneOverIsNot) {
  v1::CreateScenarioRequest request;
  v1::Scenario& s = *request.mutable_scenario();
  s.set_name("crowded");
  for (int i = 0; i < 10000; ++i) s.add_roster()->set_code("P" + std::to_string(i));
  v1::Scenario out;
  ASSERT_TRUE(scenarios_->CreateScenario(Ctx().get(), request, &out).ok());
  EXPECT_EQ(out.roster_size(), 10000);
  v1::GetScenarioRequest get;
  get.set_name("crowded");
  ASSERT_TRUE(scenarios_->GetScenario(Ctx().get(), get, &out).ok());
  EXPECT_EQ(out.roster(9999).code(), "P9999");

  s.set_name("overcrowded");
  s.add_roster()->set_code("P10000");
  EXPECT_STATUS(scenarios_->CreateScenario(Ctx().get(), request, &out),
                grpc::StatusCode::INVALID_ARGUMENT,
                "scenario.roster: 10001 parties exceed the limit of 10000");
}

TEST_F(ScenarioServiceTest, GetErrors) {
  v1::Scenario out;
  v1::GetScenarioRequest request;
  EXPECT_STATUS(scenarios_->GetScenario(Ctx().get(), request, &out),
                grpc::StatusCode::INVALID_ARGUMENT, "name: required");
  request.set_name("nope");
  EXPECT_STATUS(scenarios_->GetScenario(Ctx().get(), request, &out), grpc::StatusCode::NOT_FOUND,
                "\"nope\"");
}

}  // namespace
}  // namespace demarche::testing
