package org.lbfgsbeam.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptions.CheckEnabled;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.runner.Description;

/** The JUnit 5 bridge keeps the JUnit 4 rule's checks: they fire when a test breaks them. */
@ExtendWith(TestPipelineExtension.class)
class TestPipelineExtensionTest {
  private static final Description DESCRIPTION =
      Description.createTestDescription(TestPipelineExtensionTest.class, "inner");

  @Test
  void injectsAPipelineOnTheCheckedDirectRunner(TestPipeline pipeline) {
    assertEquals(DirectRunner.class, pipeline.getOptions().getRunner());
    DirectOptions direct = pipeline.getOptions().as(DirectOptions.class);
    assertTrue(direct.isEnforceImmutability(), "immutability enforcement");
    assertTrue(direct.isEnforceEncodability(), "encodability enforcement");
    assertEquals(CheckEnabled.ERROR, pipeline.getOptions().getStableUniqueNames());
    PAssert.that(pipeline.apply(Create.of(1, 2, 3))).containsInAnyOrder(3, 1, 2);
    pipeline.run();
  }

  @Test
  void failingPAssertFailsTheRun() throws Throwable {
    TestPipeline pipeline = TestPipeline.create();
    TestPipelineExtension.evaluate(pipeline, DESCRIPTION, () -> {
      PAssert.that(pipeline.apply(Create.of(1, 2))).containsInAnyOrder(1, 3);
      assertThrows(AssertionError.class, pipeline::run);
    });
  }

  @Test
  void withoutTheRuleRunRefuses() {
    TestPipeline pipeline = TestPipeline.create();
    pipeline.apply(Create.of(1));
    assertThrows(IllegalStateException.class, pipeline::run);
  }

  @Test
  void pipelineThatIsNeverRunIsReported() {
    TestPipeline pipeline = TestPipeline.create();
    assertThrows(TestPipeline.PipelineRunMissingException.class,
        () -> TestPipelineExtension.evaluate(pipeline, DESCRIPTION,
            () -> PAssert.that(pipeline.apply(Create.of(1))).containsInAnyOrder(1)));
  }

  @Test
  void assertAddedAfterTheRunIsReported() {
    TestPipeline pipeline = TestPipeline.create();
    assertThrows(TestPipeline.AbandonedNodeException.class,
        () -> TestPipelineExtension.evaluate(pipeline, DESCRIPTION, () -> {
          PAssert.that(pipeline.apply("Ran", Create.of(1))).containsInAnyOrder(1);
          pipeline.run();
          PAssert.that(pipeline.apply("Abandoned", Create.of(2))).containsInAnyOrder(2);
        }));
  }
}
