// ReplayService (GetState, Timeline, Diff) through a real server. The fold's
// own semantics are the replay tests' job; these check the RPC surface.
#include "service_fixture.h"

namespace demarche::testing {
namespace {

class ReplayServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    CreateScenario();
    auto changed = MakeEvent("e3", "2003-12-09", {"USA"}, {"PRK"});
    changed.mutable_move()->mutable_statement()->set_stance(v1::STANCE_OPPOSE);
    MustAppend("main", {MakeEvent("e1", "2003-01-10", {"USA"}, {"PRK"}),
                        MakeEvent("e2", "2003-06", {"PRK"}, {"USA"}, "proposal"), changed});
    MustCreateBranch("alt", "main", 2);
    auto alt = MakeEvent("x1", "2003-12-09", {"USA"}, {"PRK"}, "consult");
    alt.clear_sources();
    MustAppend("alt", {alt});
  }
  v1::GetStateRequest StateRequest() {
    v1::GetStateRequest r;
    r.set_scenario("talks");
    return r;
  }
  grpc::Status State(const v1::GetStateRequest& r, v1::ScenarioState* out) {
    return replay_->GetState(Ctx().get(), r, out);
  }
  std::vector<v1::TimelineStep> Timeline(const v1::TimelineRequest& r, grpc::Status* status) {
    auto ctx = Ctx();
    auto reader = replay_->Timeline(ctx.get(), r);
    std::vector<v1::TimelineStep> out;
    v1::TimelineStep step;
    while (reader->Read(&step)) out.push_back(step);
    *status = reader->Finish();
    return out;
  }
};

TEST_F(ReplayServiceTest, GetStateAsOfAndKnownAt) {
  v1::ScenarioState state;
  ASSERT_TRUE(State(StateRequest(), &state).ok());
  EXPECT_EQ(state.scenario(), "talks");
  EXPECT_EQ(state.branch(), "main");
  EXPECT_EQ(state.parties_size(), 6);
  EXPECT_EQ(state.events_applied(), 3u);
  EXPECT_EQ(state.last_seq(), 3u);

  auto r = StateRequest();
  *r.mutable_as_of() = Date("2003-03-01");
  ASSERT_TRUE(State(r, &state).ok());
  EXPECT_EQ(state.events_applied(), 1u);

  r = StateRequest();
  r.set_known_at(2);
  r.add_parties("USA");
  ASSERT_TRUE(State(r, &state).ok());
  EXPECT_EQ(state.last_seq(), 2u);
  ASSERT_EQ(state.parties_size(), 1);
  EXPECT_EQ(state.parties(0).party(), "USA");

  r = StateRequest();
  r.set_branch("alt");
  ASSERT_TRUE(State(r, &state).ok());
  EXPECT_EQ(state.branch(), "alt");
  EXPECT_EQ(state.last_seq(), 3u);
}

TEST_F(ReplayServiceTest, GetStateErrors) {
  v1::ScenarioState state;
  v1::GetStateRequest r;
  EXPECT_STATUS(State(r, &state), grpc::StatusCode::INVALID_ARGUMENT, "scenario: required");
  r = StateRequest();
  r.mutable_as_of()->set_year(2003);
  r.mutable_as_of()->set_month(13);
  EXPECT_STATUS(State(r, &state), grpc::StatusCode::INVALID_ARGUMENT, "as_of");
  r = StateRequest();
  r.add_parties("usa");
  EXPECT_STATUS(State(r, &state), grpc::StatusCode::INVALID_ARGUMENT, "parties[0]");
  r = StateRequest();
  r.add_parties("GBR");
  EXPECT_STATUS(State(r, &state), grpc::StatusCode::INVALID_ARGUMENT,
                "\"GBR\" is not in the roster");
  r = StateRequest();
  r.set_branch("ghost");
  EXPECT_STATUS(State(r, &state), grpc::StatusCode::NOT_FOUND, "branch \"ghost\" not found");
  r = StateRequest();
  r.set_scenario("nope");
  EXPECT_STATUS(State(r, &state), grpc::StatusCode::NOT_FOUND, "scenario \"nope\" not found");
  r = StateRequest();
  r.set_known_at(99);
  EXPECT_STATUS(State(r, &state), grpc::StatusCode::OUT_OF_RANGE, "known_at");
}

// fields: the lists asked for, as the whole state shows them, and no other.
TEST_F(ReplayServiceTest, GetStateAnswersTheListsAskedFor) {
  v1::ScenarioState whole;
  ASSERT_TRUE(State(StateRequest(), &whole).ok());
  for (int pass = 0; pass < 2; ++pass) {  // the second from the snapshots the first left
    auto r = StateRequest();
    r.add_fields("relations");
    r.add_fields("proposals_made");
    v1::ScenarioState some;
    ASSERT_TRUE(State(r, &some).ok());
    ASSERT_EQ(some.parties_size(), whole.parties_size());
    EXPECT_EQ(some.events_applied(), whole.events_applied());
    for (int i = 0; i < whole.parties_size(); ++i) {
      const v1::PartyState& w = whole.parties(i);
      const v1::PartyState& s = some.parties(i);
      EXPECT_EQ(s.party(), w.party());
      EXPECT_EQ(s.relations_size(), w.relations_size());
      EXPECT_EQ(s.proposals_made_size(), w.proposals_made_size());
      EXPECT_EQ(s.positions_size(), 0) << "not asked for";
      EXPECT_EQ(s.proposals_received_size(), 0) << "not asked for, though folded";
    }
    EXPECT_GT(whole.parties(3).positions_size() + whole.parties(5).positions_size(), 0)
        << "the whole state has positions to leave out";
  }

  auto bad = StateRequest();
  bad.add_fields("positions");
  bad.add_fields("position");
  v1::ScenarioState state;
  EXPECT_STATUS(State(bad, &state), grpc::StatusCode::INVALID_ARGUMENT,
                "fields[1]: \"position\" is not a list of a party's state (one of: positions, "
                "demands_made");
  bad.set_fields(1, std::string(1 << 20, 'x'));
  grpc::Status long_name = State(bad, &state);
  EXPECT_STATUS(long_name, grpc::StatusCode::INVALID_ARGUMENT, "fields[1]: \"xxx");
  EXPECT_LT(long_name.error_message().size(), 400u) << "a long name is not echoed whole";

  // Diff compares only the lists asked for.
  v1::DiffRequest d;
  d.set_scenario("talks");
  d.set_branch_a("main");
  d.set_branch_b("alt");
  d.add_fields("forums");
  v1::StateDiff diff;
  ASSERT_TRUE(replay_->Diff(Ctx().get(), d, &diff).ok());
  for (const auto& c : diff.changes()) EXPECT_EQ(c.field(), "forums");
  d.set_fields(0, "relations");
  ASSERT_TRUE(replay_->Diff(Ctx().get(), d, &diff).ok());
  EXPECT_FALSE(diff.changes().empty());
  for (const auto& c : diff.changes()) EXPECT_EQ(c.field(), "relations");
  d.add_fields("bogus");
  EXPECT_STATUS(replay_->Diff(Ctx().get(), d, &diff), grpc::StatusCode::INVALID_ARGUMENT,
                "fields[1]: \"bogus\"");
}

TEST_F(ReplayServiceTest, TimelineStreamsStepsBetweenDates) {
  v1::TimelineRequest r;
  r.set_scenario("talks");
  grpc::Status status;
  auto all = Timeline(r, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].event().id(), "e1");
  EXPECT_FALSE(all[0].changes().empty());

  *r.mutable_from() = Date("2003-02");
  *r.mutable_to() = Date("2003-06");
  auto some = Timeline(r, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].event().id(), "e2");

  *r.mutable_from() = Date("2004");
  Timeline(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::INVALID_ARGUMENT, "to: 2003-06 is before from 2004");
  r.clear_from();
  r.set_branch("ghost");
  Timeline(r, &status);
  EXPECT_STATUS(status, grpc::StatusCode::NOT_FOUND, "branch \"ghost\" not found");
}

TEST_F(ReplayServiceTest, DiffTwoBranchesOrTwoDates) {
  v1::DiffRequest r;
  r.set_scenario("talks");
  r.set_branch_a("main");
  r.set_branch_b("alt");
  v1::StateDiff diff;
  ASSERT_TRUE(replay_->Diff(Ctx().get(), r, &diff).ok());
  EXPECT_EQ(diff.a().branch(), "main");
  EXPECT_EQ(diff.b().branch(), "alt");
  EXPECT_EQ(diff.a().parties_size(), 0);  // summaries only
  EXPECT_FALSE(diff.changes().empty());

  r.clear_branch_b();
  *r.mutable_as_of_a() = Date("2003-01");
  *r.mutable_as_of_b() = Date("2003-12");
  ASSERT_TRUE(replay_->Diff(Ctx().get(), r, &diff).ok());
  EXPECT_EQ(diff.b().branch(), "main");
  EXPECT_FALSE(diff.changes().empty());

  r.clear_as_of_b();  // b defaults to a: no difference
  ASSERT_TRUE(replay_->Diff(Ctx().get(), r, &diff).ok());
  EXPECT_TRUE(diff.changes().empty());
}

TEST_F(ReplayServiceTest, DiffErrors) {
  v1::DiffRequest r;
  v1::StateDiff diff;
  EXPECT_STATUS(replay_->Diff(Ctx().get(), r, &diff), grpc::StatusCode::INVALID_ARGUMENT,
                "scenario: required");
  r.set_scenario("talks");
  r.set_branch_b("ghost");
  EXPECT_STATUS(replay_->Diff(Ctx().get(), r, &diff), grpc::StatusCode::NOT_FOUND,
                "b: branch \"ghost\" not found");
  r.set_branch_b("Bad!");
  EXPECT_STATUS(replay_->Diff(Ctx().get(), r, &diff), grpc::StatusCode::INVALID_ARGUMENT,
                "branch_b: \"Bad!\" must match");
  r.clear_branch_b();
  r.mutable_as_of_b()->set_year(2003);
  r.mutable_as_of_b()->set_day(3);
  EXPECT_STATUS(replay_->Diff(Ctx().get(), r, &diff), grpc::StatusCode::INVALID_ARGUMENT,
                "as_of_b");
}

}  // namespace
}  // namespace demarche::testing
