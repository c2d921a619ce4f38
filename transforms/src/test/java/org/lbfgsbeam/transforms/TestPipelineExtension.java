package org.lbfgsbeam.transforms;

import java.lang.reflect.Method;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * A JUnit 5 bridge for Beam's {@link TestPipeline}, which is a JUnit 4 {@code @Rule}: a test method that
 * declares a {@code TestPipeline} parameter gets a fresh pipeline, and its body runs inside the rule's
 * {@link TestPipeline#apply(Statement, Description) statement}, exactly as under JUnit 4. So the rule's
 * enforcement is active: {@code run()} works (without the rule it refuses to), and after the body the
 * rule fails the test if the pipeline was built but never run ({@code PipelineRunMissingException}) or
 * if transforms or {@code PAssert}s were added after it ran ({@code AbandonedNodeException}).
 *
 * <pre>{@code
 * @ExtendWith(TestPipelineExtension.class)
 * class MyTest {
 *   @Test
 *   void sums(TestPipeline pipeline) {
 *     PAssert.that(pipeline.apply(Create.of(1, 2))).containsInAnyOrder(2, 1);
 *     pipeline.run();
 *   }
 * }
 * }</pre>
 *
 * <p>As with the JUnit 4 rule, a body that throws skips the enforcement (the test fails anyway).
 */
final class TestPipelineExtension implements ParameterResolver, InvocationInterceptor {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(TestPipelineExtension.class);

  /** Test code that may throw anything, like a JUnit 4 {@link Statement}. */
  @FunctionalInterface
  interface Body {
    void run() throws Throwable;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestPipeline.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(NAMESPACE).getOrComputeIfAbsent(TestPipeline.class,
        k -> TestPipeline.create(), TestPipeline.class);
  }

  @Override
  public void interceptTestMethod(Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context)
      throws Throwable {
    intercept(invocation, context);
  }

  @Override
  public void interceptTestTemplateMethod(Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext, ExtensionContext context)
      throws Throwable {
    intercept(invocation, context);
  }

  private static void intercept(Invocation<Void> invocation, ExtensionContext context)
      throws Throwable {
    // Parameters are resolved before interceptors run, so the pipeline (if any) is in the store.
    TestPipeline pipeline = context.getStore(NAMESPACE).get(TestPipeline.class, TestPipeline.class);
    if (pipeline == null) {
      invocation.proceed();
      return;
    }
    Method method = context.getRequiredTestMethod();
    evaluate(pipeline, Description.createTestDescription(context.getRequiredTestClass(),
        method.getName(), method.getAnnotations()), invocation::proceed);
  }

  /** Runs {@code body} under {@code pipeline}'s rule, as JUnit 4 would for a test {@code description}. */
  static void evaluate(TestPipeline pipeline, Description description, Body body) throws Throwable {
    pipeline.apply(new Statement() {
      @Override
      public void evaluate() throws Throwable {
        body.run();
      }
    }, description).evaluate();
  }
}
