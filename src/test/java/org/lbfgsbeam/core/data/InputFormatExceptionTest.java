package org.lbfgsbeam.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class InputFormatExceptionTest {
  @Test
  void messageHasSourceLineAndReason() {
    InputFormatException e = new InputFormatException("train.libsvm", 12, "bad label 'x'");
    assertEquals("train.libsvm:12: bad label 'x'", e.getMessage());
    assertEquals("train.libsvm", e.source());
    assertEquals(12, e.line());
    assertEquals("bad label 'x'", e.reason());
    assertInstanceOf(java.io.IOException.class, e);
  }

  @Test
  void lineZeroLeavesOutTheLine() {
    InputFormatException e = new InputFormatException("a/b.txt", 0, "empty file: no examples");
    assertEquals("a/b.txt: empty file: no examples", e.getMessage());
    assertEquals(0, e.line());
  }

  @Test
  void negativeLineIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new InputFormatException("f", -1, "r"));
    assertEquals("line must be 1-based, or 0 for no line, but was: -1", e.getMessage());
  }
}
