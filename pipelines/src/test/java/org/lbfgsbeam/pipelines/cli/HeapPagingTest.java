package org.lbfgsbeam.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The relaunched JVM's heap options ({@link HeapPaging}). */
class HeapPagingTest {
  @Test
  void hugePagesWhereTheKernelOffersThemPreTouchOnRequest() {
    assertEquals(List.of("-XX:+UseTransparentHugePages"),
        HeapPaging.jvmOptions("always [madvise] never\n", null));
    assertEquals(List.of("-XX:+UseTransparentHugePages"),
        HeapPaging.jvmOptions("[always] madvise never\n", null));
    assertEquals(List.of(), HeapPaging.jvmOptions("always madvise [never]\n", null));
    assertEquals(List.of(), HeapPaging.jvmOptions(null, null));
    assertEquals(List.of("-XX:+UseTransparentHugePages", "-XX:+AlwaysPreTouch"),
        HeapPaging.jvmOptions("always [madvise] never\n", "pretouch"));
    assertEquals(List.of("-XX:+AlwaysPreTouch"), HeapPaging.jvmOptions(null, "pretouch"));
    assertEquals(List.of(), HeapPaging.jvmOptions("[always] madvise never\n", "off"));
  }
}
