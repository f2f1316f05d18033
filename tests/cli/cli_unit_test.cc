// Unit tests of the CLI's pure helpers: dates, numbers, tables, rendering.
#include <gtest/gtest.h>

#include "cli/cli.h"
#include "cli/dates.h"
#include "cli/output.h"
#include "cli/render.h"
#include "demarche/v1/ledger_service.pb.h"

namespace demarche::cli {
namespace {

TEST(CliDates, ParsesTheThreePrecisions) {
  v1::PartialDate d;
  std::string why;
  ASSERT_TRUE(ParseDate("2004", &d, &why));
  EXPECT_EQ(FormatDate(d), "2004");
  ASSERT_TRUE(ParseDate("2003-12", &d, &why));
  EXPECT_EQ(d.month(), 12);
  EXPECT_EQ(d.day(), 0);
  ASSERT_TRUE(ParseDate("2004-05-22", &d, &why));
  EXPECT_EQ(FormatDate(d), "2004-05-22");
  ASSERT_TRUE(ParseDate("2004-02-29", &d, &why));
}

TEST(CliDates, RejectsBadDatesSayingWhy) {
  v1::PartialDate d;
  std::string why;
  for (const char* bad : {"", "04", "2004-5", "2004-05-2", "2004/05/22", "2004-05-22x", "yyyy"}) {
    EXPECT_FALSE(ParseDate(bad, &d, &why)) << bad;
    EXPECT_NE(why.find("YYYY-MM-DD"), std::string::npos) << bad;
  }
  EXPECT_FALSE(ParseDate("2004-13", &d, &why));
  EXPECT_NE(why.find("month"), std::string::npos);
  EXPECT_FALSE(ParseDate("2003-02-29", &d, &why));
  EXPECT_NE(why.find("no day 29"), std::string::npos);
  EXPECT_FALSE(ParseDate("0000", &d, &why));
  try {
    DateArg("2004-13-01", "--as-of");
    FAIL();
  } catch (const CliError& e) {
    EXPECT_EQ(e.code, kRefused);
    EXPECT_NE(std::string(e.what()).find("--as-of"), std::string::npos);
  }
}

TEST(CliOutput, Quantities) {
  EXPECT_EQ(Quantity(250000), "250,000");
  EXPECT_EQ(Quantity(500000), "500,000");
  EXPECT_EQ(Quantity(999), "999");
  EXPECT_EQ(Quantity(-1234567), "-1,234,567");
  EXPECT_EQ(Quantity(0.5), "0.5");
}

TEST(CliOutput, EnumNamesDropThePrefix) {
  EXPECT_EQ(EnumName(v1::AidAction_descriptor()->FindValueByNumber(v1::AID_ACTION_PLEDGE)),
            "pledge");
  EXPECT_EQ(
      EnumName(v1::ConsultKind_descriptor()->FindValueByNumber(v1::CONSULT_KIND_WORKING_LEVEL)),
      "working-level");
  EXPECT_EQ(EnumName(v1::ReadOrder_descriptor()->FindValueByNumber(v1::READ_ORDER_SEQ_REVERSE)),
            "seq-reverse");
}

TEST(CliOutput, TableAlignsAndCutsTheLastColumn) {
  Table t({"SEQ", "PARTIES", "SUMMARY"});
  t.Add({"1", "PRK→USA", "a long summary that goes on"});
  t.Add({"42", "JPN", "short"});
  EXPECT_EQ(
      t.Render(),
      "SEQ  PARTIES  SUMMARY\n1    PRK→USA  a long summary that goes on\n42   JPN      short\n");
  std::string cut = t.Render(30);
  EXPECT_NE(cut.find("PRK→USA  a long summary…\n"), std::string::npos) << cut;
}

TEST(CliOutput, JsonRoundTripsAndRejectsUnknownFields) {
  v1::Event e;
  std::string why;
  ASSERT_TRUE(FromJson(
      R"({"id":"x","occurred":{"year":2004},"move":{"aid":{"action":"AID_ACTION_PLEDGE"}}})", &e,
      &why))
      << why;
  EXPECT_EQ(ToJson(e),
            R"({"id":"x","occurred":{"year":2004},"move":{"aid":{"action":"AID_ACTION_PLEDGE"}}})");
  EXPECT_FALSE(FromJson(R"({"idd":"x"})", &e, &why));
  EXPECT_FALSE(why.empty());
}

TEST(CliRender, EventRowsAndTerms) {
  v1::Event e;
  e.set_seq(40);
  e.set_id("2004-05-jpn-pledges-food-grain");
  e.mutable_occurred()->set_year(2004);
  e.mutable_occurred()->set_month(5);
  e.mutable_occurred()->set_day(22);
  e.add_actor("JPN");
  e.add_recipients("PRK");
  auto* aid = e.mutable_move()->mutable_aid();
  aid->set_action(v1::AID_ACTION_PLEDGE);
  aid->set_commodity("food grain");
  aid->set_quantity(250000);
  aid->set_unit("t");
  e.set_summary("Japan pledges food grain");
  EXPECT_EQ(EventRow(e), (std::vector<std::string>{"40", "2004-05-22", "JPN→PRK", "aid:pledge",
                                                   "Japan pledges food grain"}));
  std::string detail = EventDetail(e);
  EXPECT_NE(detail.find("quantity: 250,000"), std::string::npos) << detail;

  v1::Term t;
  t.set_giver("USA");
  t.set_receiver("PRK");
  t.set_commodity("heavy fuel oil");
  t.set_quantity(500000);
  t.set_unit("t");
  EXPECT_EQ(TermText(t), "USA → PRK: 500,000 t heavy fuel oil");
}

TEST(CliRender, ChangesReadAsItems) {
  v1::FieldChange c;
  c.set_party("PRK");
  c.set_field("aid_received");
  c.set_key("JPN|food grain|t");
  c.set_after(
      R"({"counterpart":"JPN","commodity":"food grain","unit":"t","pledged":250000,"event_ids":["2004-05-jpn-pledges-food-grain"]})");
  c.add_event_ids("2004-05-jpn-pledges-food-grain");
  std::string text = ChangeText(c, true);
  EXPECT_NE(text.find("+ PRK aid_received: JPN: food grain — pledged 250,000 t"), std::string::npos)
      << text;
  EXPECT_NE(text.find("← 2004-05-jpn-pledges-food-grain"), std::string::npos) << text;
}

}  // namespace
}  // namespace demarche::cli
