#include <gtest/gtest.h>

#include "replay/fold.h"

TEST(Fold, Empty) { EXPECT_EQ(demarche::replay::FoldState().ToProto().parties_size(), 0); }
