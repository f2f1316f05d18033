// Historical questions answered from the bundled record through the replay
// engine, each asserted against what the source document says
// (data/six-party-talks/source/000_540a05e8643012a8.txt: Quinones, June 2004). The quoted
// sentence each answer rests on is in the comment above its assertions.
#include <deque>
#include <optional>
#include <string>

#include <gmock/gmock.h>

#include "ledger/date.h"
#include "ledger/import.h"
#include "replay/replay.h"
#include "tests/data/bundle_test.h"

namespace demarche::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kScenario[] = "six-party-talks";

// ---- Lookups in a replayed state --------------------------------------------

const v1::PartyState& Party(const v1::ScenarioState& s, const std::string& code) {
  for (const auto& p : s.parties())
    if (p.party() == code) return p;
  ADD_FAILURE() << "no party " << code;
  static const v1::PartyState kNone;
  return kNone;
}

template <typename List>
const v1::Offer* OfferIn(const List& offers, const std::string& id) {
  for (const auto& o : offers)
    if (o.event_id() == id) return &o;
  return nullptr;
}

const v1::Flow* FlowIn(const google::protobuf::RepeatedPtrField<v1::Flow>& flows,
                       const std::string& counterpart, const std::string& commodity) {
  for (const auto& f : flows)
    if (f.counterpart() == counterpart && f.commodity() == commodity) return &f;
  return nullptr;
}

const v1::Position* PositionOn(const v1::PartyState& p, const std::string& issue) {
  for (const auto& pos : p.positions())
    if (pos.issue() == issue) return &pos;
  return nullptr;
}

const v1::AgreementState* AgreementOf(const v1::PartyState& p, const std::string& key) {
  for (const auto& a : p.agreements())
    if (a.agreement() == key) return &a;
  return nullptr;
}

const v1::Relation* RelationWith(const v1::PartyState& p, const std::string& other) {
  for (const auto& r : p.relations())
    if (r.counterpart() == other) return &r;
  return nullptr;
}

const v1::SanctionState* SanctionOn(const v1::PartyState& p, const std::string& measure) {
  for (const auto& s : p.sanctions_suffered())
    if (s.measure() == measure) return &s;
  return nullptr;
}

bool InForum(const v1::PartyState& p, const std::string& forum) {
  for (const auto& f : p.forums())
    if (f.forum() == forum) return true;
  return false;
}

bool HasConcession(const v1::PartyState& p, const std::string& id) {
  for (const auto& c : p.concessions())
    if (c == id) return true;
  return false;
}

// ---- The record, loaded once per test process --------------------------------

class History : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ledger_ = OpenLedger(dir_->Sub("ledger")).release();
    ASSERT_NE(ledger_, nullptr);
    auto loaded = ledger::LoadBundle(*ledger_, kBundleDir, "curator:history-test");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    replay::EngineOptions options;
    options.snapshot_every = 8;  // exercise snapshots on a small record
    engine_ = new replay::Engine(ledger_, options);
    states_ = new std::deque<v1::ScenarioState>();
  }
  static void TearDownTestSuite() {
    delete states_;
    delete engine_;
    delete ledger_;
    delete dir_;
  }

  // The state as of a date ("2004-05-21"), optionally known at a seq. States
  // are kept for the whole test so that pointers into them stay valid.
  static const v1::ScenarioState& At(const std::string& date, const std::string& branch = "main",
                                     uint64_t known_at = 0) {
    replay::StateQuery q;
    q.scenario = kScenario;
    q.branch = branch;
    if (!date.empty()) {
      auto parsed = ledger::ParseDate(date);
      EXPECT_TRUE(parsed.ok()) << parsed.status();
      if (parsed.ok()) q.as_of = *parsed;
    }
    q.known_at = known_at;
    auto state = engine_->StateAt(q);
    EXPECT_TRUE(state.ok()) << state.status();
    return states_->emplace_back(state.ok() ? *state : v1::ScenarioState{});
  }

  static uint64_t SeqOf(const std::string& id) {
    auto e = ledger_->FindEvent(kScenario, "main", id);
    EXPECT_TRUE(e.ok()) << id << ": " << e.status();
    return e.ok() ? e->seq() : 0;
  }

  static TempDir* dir_;
  static ledger::Ledger* ledger_;
  static replay::Engine* engine_;
  static std::deque<v1::ScenarioState>* states_;
};

TempDir* History::dir_ = nullptr;
ledger::Ledger* History::ledger_ = nullptr;
replay::Engine* History::engine_ = nullptr;
std::deque<v1::ScenarioState>* History::states_ = nullptr;

// "In exchange, Japan will provide North Korea 250,000 metric tons of food
// grain." (the second summit, May 22, 2004)
TEST_F(History, JapanFoodPledgeOnlyFromTheSecondSummit) {
  const auto& before = At("2004-05-21");
  EXPECT_EQ(FlowIn(Party(before, "PRK").aid_received(), "JPN", "food grain"), nullptr);
  EXPECT_EQ(FlowIn(Party(before, "JPN").aid_given(), "PRK", "food grain"), nullptr);

  const auto& after = At("2004-05-23");
  const v1::Flow* received = FlowIn(Party(after, "PRK").aid_received(), "JPN", "food grain");
  ASSERT_NE(received, nullptr);
  EXPECT_EQ(received->pledged(), 250000);
  EXPECT_EQ(received->unit(), "t");
  EXPECT_EQ(received->delivered(), 0);  // "will provide": pledged, not yet delivered
  EXPECT_THAT(received->event_ids(), ElementsAre("2004-05-jpn-pledges-food-grain"));
  const v1::Flow* given = FlowIn(Party(after, "JPN").aid_given(), "PRK", "food grain");
  ASSERT_NE(given, nullptr);
  EXPECT_EQ(given->pledged(), 250000);
  // Powell's "recent claim" is known only to the year 2004, so until the end
  // of 2004 an answer resting on it is only year-precise.
  EXPECT_EQ(after.precision(), "year");
}

// "Pyongyang reaped two major benefits when the Bush Administration rejected
// this proposal." The December 2003 package deal: freeze for 500,000 t of
// heavy fuel oil, the end of US economic sanctions, removal from the terrorist
// list and normalization.
TEST_F(History, PackageDealOpenUntilWashingtonRejectsIt) {
  const std::string id = "2003-12-prk-package-deal";
  EXPECT_EQ(OfferIn(Party(At("2003-11-30"), "PRK").proposals_made(), id), nullptr);

  // Known at the proposal (before the rejection was recorded): open.
  const auto& open = At("2003-12-31", "main", SeqOf(id));
  const v1::Offer* offer = OfferIn(Party(open, "PRK").proposals_made(), id);
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->status(), v1::ITEM_STATUS_OPEN);
  EXPECT_EQ(offer->title(), "package deal");
  bool hfo = false;
  for (const auto& t : offer->terms())
    if (t.commodity() == "heavy fuel oil" && t.quantity() == 500000 && t.unit() == "t" &&
        t.giver() == "USA")
      hfo = true;
  EXPECT_TRUE(hfo);
  EXPECT_EQ(offer->terms_size(), 5);
  EXPECT_NE(OfferIn(Party(open, "USA").proposals_received(), id), nullptr);

  // After the rejection: rejected by the United States.
  const auto& rejected = At("2003-12-31");
  offer = OfferIn(Party(rejected, "USA").proposals_received(), id);
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->status(), v1::ITEM_STATUS_REJECTED);
  EXPECT_THAT(offer->rejected_by(), ElementsAre("USA"));
  EXPECT_EQ(offer->status_event_id(), "2003-12-usa-rejects-package-deal");
  EXPECT_EQ(rejected.precision(), "day");  // December is over by the 31st
  // "last December": mid-month, the answer is only month-precise.
  EXPECT_EQ(At("2003-12-15").precision(), "month");
  // ... and still rejected in June 2004.
  offer = OfferIn(Party(At("2004-06-30"), "PRK").proposals_made(), id);
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->status(), v1::ITEM_STATUS_REJECTED);
}

// "heavy fuel oil (500,000 metric tons as promised under the now defunct 1994
// US-DPRK Agreed Framework)". The text does not say when it ended; the record
// ends it with KEDO's suspension of that fuel oil, announced 14 November 2002
// ("Heavy fuel oil deliveries will be suspended beginning with the December
// shipment.").
TEST_F(History, AgreedFrameworkInForceIn1995AndDefunctBy2004) {
  const auto& s1995 = At("1995-01-01");
  const v1::AgreementState* af = AgreementOf(Party(s1995, "PRK"), "agreed-framework-1994");
  ASSERT_NE(af, nullptr);
  EXPECT_TRUE(af->in_force());
  EXPECT_THAT(af->parties(), ElementsAre("PRK", "USA"));
  ASSERT_EQ(af->terms_size(), 1);
  EXPECT_EQ(af->terms(0).quantity(), 500000);
  EXPECT_EQ(af->terms(0).commodity(), "heavy fuel oil");
  EXPECT_EQ(AgreementOf(Party(At("1994-10-20"), "PRK"), "agreed-framework-1994"), nullptr);

  const std::string lapse = "2002-11-agreed-framework-defunct";
  for (const char* party : {"PRK", "USA"}) {
    af = AgreementOf(Party(At("2002-11-13"), party), "agreed-framework-1994");
    ASSERT_NE(af, nullptr) << party;
    EXPECT_TRUE(af->in_force()) << party;
    for (const char* date : {"2002-11-14", "2003-12-31", "2004-06-30"}) {
      af = AgreementOf(Party(At(date), party), "agreed-framework-1994");
      ASSERT_NE(af, nullptr) << party << " " << date;
      EXPECT_FALSE(af->in_force()) << party << " " << date;
      EXPECT_EQ(af->ended_event_id(), lapse) << party << " " << date;
      EXPECT_EQ(ledger::FormatDate(af->ended()), "2002-11-14") << party << " " << date;
    }
  }
  // Ended before the package deal, so the branch that accepts the deal
  // inherits the end: the deal's fuel oil is a new promise, not the old one.
  af = AgreementOf(Party(At("2004-03-31", "usa-accepts-package-deal"), "PRK"),
                   "agreed-framework-1994");
  ASSERT_NE(af, nullptr);
  EXPECT_FALSE(af->in_force());
  EXPECT_EQ(af->ended_event_id(), lapse);
}

// "When the proposal was made, Seoul was preoccupied with the Supreme Court
// decision to re-instate Roh Moo-hyun as president." (the Constitutional
// Court, 14 May 2004, two days after the May 12 offer)
TEST_F(History, RohReinstatedJustAfterTheMay12Offer) {
  const std::string id = "2004-05-kor-court-reinstates-roh";
  EXPECT_EQ(PositionOn(Party(At("2004-05-13"), "KOR"), "roh-reinstatement"), nullptr);
  const v1::Position* roh = PositionOn(Party(At("2004-05-14"), "KOR"), "roh-reinstatement");
  ASSERT_NE(roh, nullptr);
  EXPECT_EQ(roh->stance(), v1::STANCE_SUPPORT);
  EXPECT_EQ(roh->event_id(), id);
  EXPECT_GT(SeqOf(id), SeqOf("2004-05-prk-peace-mechanism-offer"));
  EXPECT_LT(SeqOf(id), SeqOf("2004-05-jpn-prk-second-summit"));
  // Seoul has still not answered the offer.
  const v1::Offer* peace = OfferIn(Party(At("2004-06-30"), "KOR").proposals_received(),
                                   "2004-05-prk-peace-mechanism-offer");
  ASSERT_NE(peace, nullptr);
  EXPECT_EQ(peace->status(), v1::ITEM_STATUS_OPEN);
}

// "Washington continues to demand that Pyongyang accept "CVID," ... Only then
// would President Bush consider giving his North Korean counterpart Kim Jong
// Il security assurances. Pyongyang has adamantly rejected this."
TEST_F(History, CvidDemandOpenAndRefusedInMay2004) {
  const std::string id = "2004-05-usa-demands-cvid";
  EXPECT_EQ(OfferIn(Party(At("2004-05-11"), "PRK").demands_faced(), id), nullptr);
  const auto& may = At("2004-05-31");
  const v1::Offer* demand = OfferIn(Party(may, "PRK").demands_faced(), id);
  ASSERT_NE(demand, nullptr);
  EXPECT_EQ(demand->status(), v1::ITEM_STATUS_OPEN);  // a refused demand stays open
  EXPECT_THAT(demand->makers(), ElementsAre("USA"));
  EXPECT_THAT(demand->rejected_by(), ElementsAre("PRK"));
  EXPECT_THAT(demand->accepted_by(), IsEmpty());
  ASSERT_EQ(demand->in_return_size(), 1);
  EXPECT_EQ(demand->in_return(0).issue(), "us-security-assurances");
  const v1::Position* assurances = PositionOn(Party(may, "USA"), "us-security-assurances");
  ASSERT_NE(assurances, nullptr);
  EXPECT_EQ(assurances->stance(), v1::STANCE_CONDITIONAL);
}

// "At the same time, Pyongyang continues to deny that it has a highly enriched
// uranium program (HEU)."
TEST_F(History, PyongyangDeniesAnHeuProgramme) {
  const v1::Position* heu = PositionOn(Party(At("2004-05-31"), "PRK"), "heu-programme");
  ASSERT_NE(heu, nullptr);
  EXPECT_EQ(heu->stance(), v1::STANCE_DENY);
  EXPECT_EQ(heu->event_id(), "2004-05-prk-denies-heu-programme");
}

// "There has not been any significant progress toward a diplomatic solution
// since the talks commenced last August." / "Five of the six parties ..."
TEST_F(History, SixPartiesInTheTalksFromAugust2003) {
  const auto& july = At("2003-07-31");
  EXPECT_FALSE(InForum(Party(july, "PRK"), "six-party-talks"));
  const auto& september = At("2003-09-01");
  for (const char* party : {"PRK", "USA", "CHN", "JPN", "RUS", "KOR"})
    EXPECT_TRUE(InForum(Party(september, party), "six-party-talks")) << party;
  EXPECT_FALSE(InForum(Party(september, "GBR"), "six-party-talks"));
  // The PSI is Washington's ("its Proliferation Security Initiative"), not Pyongyang's.
  EXPECT_TRUE(InForum(Party(september, "USA"), "psi"));
  EXPECT_FALSE(InForum(Party(september, "PRK"), "psi"));
  // "Five of the six parties ... agreed that North Korea had to give up its
  // nuclear programs": a demand of five makers, still open in June 2004.
  const v1::Offer* five = OfferIn(Party(At("2004-06-30"), "PRK").demands_faced(),
                                  "2003-08-five-parties-demand-prk-give-up-nuclear-programs");
  ASSERT_NE(five, nullptr);
  EXPECT_THAT(five->makers(), ElementsAre("CHN", "JPN", "KOR", "RUS", "USA"));
  EXPECT_EQ(five->status(), v1::ITEM_STATUS_OPEN);
}

// "Unlike the Bush Administration, Japan and the DPRK have conducted secret
// bilateral talks" - and Pyongyang still seeks "direct, bilateral
// negotiations with the United States".
TEST_F(History, JapanHasADirectChannelToPyongyangWashingtonDoesNot) {
  const auto& june = At("2004-06-30");
  const v1::Relation* us = RelationWith(Party(june, "PRK"), "USA");
  ASSERT_NE(us, nullptr);
  EXPECT_GT(us->events(), 0u);  // plenty of contact, in multilateral settings
  EXPECT_FALSE(us->direct_channel());
  const v1::Relation* japan = RelationWith(Party(june, "PRK"), "JPN");
  ASSERT_NE(japan, nullptr);
  EXPECT_TRUE(japan->direct_channel());
  // Before the first Koizumi-Kim summit (September 2002) there was none.
  const v1::Relation* japan_2001 = RelationWith(Party(At("2001-12-31"), "PRK"), "JPN");
  ASSERT_NE(japan_2001, nullptr);  // the abductions
  EXPECT_FALSE(japan_2001->direct_channel());
  const v1::Position* direct = PositionOn(Party(june, "PRK"), "us-dprk-direct-talks");
  ASSERT_NE(direct, nullptr);
  EXPECT_EQ(direct->stance(), v1::STANCE_SUPPORT);
}

// "Japan has pressed North Korea to allow the five family members of former
// abducted Japanese to join their kinsmen in Japan ... Koizumi returned from
// the summit with five of the six immediate relatives".
TEST_F(History, RelativesReturnedToJapanOnMay22) {
  const std::string demand = "2002-09-jpn-presses-for-abductee-families";
  const auto& before = At("2004-05-21");
  const v1::Offer* pressed = OfferIn(Party(before, "JPN").demands_made(), demand);
  ASSERT_NE(pressed, nullptr);
  EXPECT_EQ(pressed->status(), v1::ITEM_STATUS_OPEN);
  EXPECT_FALSE(HasConcession(Party(before, "PRK"), "2004-05-prk-returns-abductee-relatives"));

  const auto& after = At("2004-05-22");
  pressed = OfferIn(Party(after, "JPN").demands_made(), demand);
  ASSERT_NE(pressed, nullptr);
  EXPECT_EQ(pressed->status(), v1::ITEM_STATUS_ACCEPTED);  // the demand is met
  EXPECT_THAT(pressed->accepted_by(), ElementsAre("PRK"));
  EXPECT_TRUE(HasConcession(Party(after, "PRK"), "2004-05-prk-returns-abductee-relatives"));
  const v1::Relation* summit = RelationWith(Party(after, "JPN"), "PRK");
  ASSERT_NE(summit, nullptr);
  EXPECT_EQ(summit->last_contact().day(), 22);
}

// "Beijing opposes regime change in North Korea and since 1999 has provided
// North Korea in amounts sufficient to prevent the regime's collapse."
TEST_F(History, ChinaAidSince1999) {
  EXPECT_EQ(FlowIn(Party(At("1998-12-31"), "PRK").aid_received(), "CHN", "unspecified aid"),
            nullptr);
  const auto& s1999 = At("1999-12-31");
  const v1::Flow* aid = FlowIn(Party(s1999, "PRK").aid_received(), "CHN", "unspecified aid");
  ASSERT_NE(aid, nullptr);
  EXPECT_THAT(aid->event_ids(), ElementsAre("1999-chn-aid-to-prk"));
  // Known only to the year: mid-1999 the answer is year-precise.
  EXPECT_EQ(At("1999-06-30").precision(), "year");
  const v1::Position* regime = PositionOn(Party(At("2004-06-30"), "CHN"), "dprk-regime-change");
  ASSERT_NE(regime, nullptr);
  EXPECT_EQ(regime->stance(), v1::STANCE_OPPOSE);
}

// "North Korea's army declared in April 1993 that the Korean War Armistice was
// void, and called upon the United States to engage in bilateral talks ...
// North Korea dismissed any possibility of convening "three party peace
// talks" ... Pyongyang, for the first time, is saying officially that it is
// willing to include Seoul".
TEST_F(History, PeaceMechanismFromBilateralCallToThreePartyOffer) {
  const auto& march = At("1993-03-31");
  const v1::AgreementState* armistice =
      AgreementOf(Party(march, "PRK"), "korean-war-armistice-1953");
  ASSERT_NE(armistice, nullptr);
  EXPECT_TRUE(armistice->in_force());

  const auto& may = At("1993-05-01");
  armistice = AgreementOf(Party(may, "PRK"), "korean-war-armistice-1953");
  ASSERT_NE(armistice, nullptr);
  EXPECT_FALSE(armistice->in_force());
  armistice = AgreementOf(Party(may, "USA"), "korean-war-armistice-1953");
  ASSERT_NE(armistice, nullptr);
  EXPECT_TRUE(armistice->in_force());  // only Pyongyang declared it void

  const std::string call = "1993-04-prk-calls-for-peace-mechanism-talks";
  const std::string offer = "2004-05-prk-peace-mechanism-offer";
  const auto& before = At("2004-05-11");
  const v1::Offer* bilateral = OfferIn(Party(before, "PRK").proposals_made(), call);
  ASSERT_NE(bilateral, nullptr);
  EXPECT_EQ(bilateral->status(), v1::ITEM_STATUS_OPEN);
  EXPECT_EQ(PositionOn(Party(before, "PRK"), "three-party-peace-talks")->stance(),
            v1::STANCE_OPPOSE);

  const auto& after = At("2004-06-30");
  bilateral = OfferIn(Party(after, "PRK").proposals_made(), call);
  ASSERT_NE(bilateral, nullptr);
  EXPECT_EQ(bilateral->status(), v1::ITEM_STATUS_SUPERSEDED);
  EXPECT_EQ(bilateral->status_event_id(), offer);
  // "Neither Seoul nor Washington has reacted to the proposal."
  const v1::Offer* peace = OfferIn(Party(after, "KOR").proposals_received(), offer);
  ASSERT_NE(peace, nullptr);
  EXPECT_EQ(peace->status(), v1::ITEM_STATUS_OPEN);
  EXPECT_THAT(peace->addressees(), ElementsAre("KOR", "USA"));
  EXPECT_EQ(PositionOn(Party(after, "PRK"), "three-party-peace-talks")->stance(),
            v1::STANCE_SUPPORT);
}

// "the end of US economic sanctions, its removal from the US terrorist list":
// both were in force on Pyongyang in 2004.
TEST_F(History, UsSanctionsInForceIn2004) {
  const auto& june = At("2004-06-30");
  for (const char* measure : {"us-economic-sanctions", "us-terrorist-list"}) {
    const v1::SanctionState* s = SanctionOn(Party(june, "PRK"), measure);
    ASSERT_NE(s, nullptr) << measure;
    EXPECT_THAT(s->imposers(), ElementsAre("USA"));
  }
  EXPECT_EQ(SanctionOn(Party(At("1987-12-31"), "PRK"), "us-terrorist-list"), nullptr);
}

// "Pyongyang has had to make significant concessions to China regarding
// participation in the Six Party Talks, to Japan regarding the abduction issue
// and to Seoul concerning future peace treaty talks."
TEST_F(History, PyongyangsPositionOnItsNuclearProgramme) {
  // Known at the first round's insistence on "nuclear deterrence": opposed.
  const auto& insist = At("2003-08-31", "main", SeqOf("2003-08-prk-insists-on-nuclear-deterrence"));
  EXPECT_EQ(PositionOn(Party(insist, "PRK"), "dprk-nuclear-programme")->stance(),
            v1::STANCE_OPPOSE);
  // After its adjustment: willing to negotiate an end to it.
  const v1::Position* now = PositionOn(Party(At("2004-06-30"), "PRK"), "dprk-nuclear-programme");
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->stance(), v1::STANCE_CONDITIONAL);
  EXPECT_EQ(now->event_id(), "2003-08-prk-willing-to-negotiate-end-of-nuclear-program");
}

// ---- The counterfactual branches, replayed -----------------------------------

TEST_F(History, BranchesAgreeWithTheRecordBeforeTheirForkAndDifferAfter) {
  // Identical before the premise...
  for (const char* branch : {"usa-accepts-package-deal", "direct-bilateral-talks"}) {
    v1::ScenarioState a = At("2003-11-30", "main");
    v1::ScenarioState b = At("2003-11-30", branch);
    a.clear_branch();
    b.clear_branch();
    a.clear_known_at();
    b.clear_known_at();
    a.clear_last_seq();
    b.clear_last_seq();
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << branch;
  }

  // Washington accepts the package deal: freeze, fuel oil, sanctions lifted.
  const auto& accepted = At("2004-03-31", "usa-accepts-package-deal");
  const v1::Offer* deal =
      OfferIn(Party(accepted, "PRK").proposals_made(), "2003-12-prk-package-deal");
  ASSERT_NE(deal, nullptr);
  EXPECT_EQ(deal->status(), v1::ITEM_STATUS_ACCEPTED);
  const v1::Flow* hfo = FlowIn(Party(accepted, "PRK").aid_received(), "USA", "heavy fuel oil");
  ASSERT_NE(hfo, nullptr);
  EXPECT_EQ(hfo->pledged(), 500000);
  EXPECT_EQ(SanctionOn(Party(accepted, "PRK"), "us-economic-sanctions"), nullptr);
  EXPECT_EQ(SanctionOn(Party(accepted, "PRK"), "us-terrorist-list"), nullptr);
  EXPECT_TRUE(HasConcession(Party(accepted, "PRK"), "cf-2004-02-prk-freezes-nuclear-program"));
  EXPECT_TRUE(RelationWith(Party(accepted, "PRK"), "USA")->direct_channel());
  // The record's later history is not part of that branch: no Japanese pledge.
  EXPECT_EQ(FlowIn(Party(At("2004-06-30", "usa-accepts-package-deal"), "PRK").aid_received(), "JPN",
                   "food grain"),
            nullptr);

  // Direct talks in June 2004: everything recorded is inherited, then a channel opens.
  const auto& direct = At("2004-08-31", "direct-bilateral-talks");
  EXPECT_NE(FlowIn(Party(direct, "PRK").aid_received(), "JPN", "food grain"), nullptr);
  EXPECT_TRUE(RelationWith(Party(direct, "PRK"), "USA")->direct_channel());
  const v1::Offer* peace =
      OfferIn(Party(direct, "USA").proposals_received(), "2004-05-prk-peace-mechanism-offer");
  ASSERT_NE(peace, nullptr);
  EXPECT_EQ(peace->status(), v1::ITEM_STATUS_ACCEPTED);
  const v1::Offer* package =
      OfferIn(Party(direct, "PRK").proposals_made(), "2003-12-prk-package-deal");
  ASSERT_NE(package, nullptr);
  EXPECT_EQ(package->status(), v1::ITEM_STATUS_SUPERSEDED);
  EXPECT_FALSE(RelationWith(Party(At("2004-08-31"), "PRK"), "USA")->direct_channel());
}

// A timeline over the day of the second summit lists exactly its four moves.
TEST_F(History, TimelineOfTheSecondSummit) {
  std::vector<std::string> ids;
  auto day = ledger::ParseDate("2004-05-22");
  ASSERT_TRUE(day.ok());
  auto status =
      engine_->Timeline(kScenario, "main", *day, *day, 0, [&](const v1::TimelineStep& step) {
        ids.push_back(step.event().id());
        EXPECT_GT(step.changes_size(), 0) << step.event().id();
        return true;
      });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(
      ids, ElementsAre("2004-05-jpn-prk-second-summit", "2004-05-prk-returns-abductee-relatives",
                       "2004-05-prk-meets-japan-family-demand", "2004-05-jpn-pledges-food-grain"));
}

}  // namespace
}  // namespace demarche::testing
