package org.lbfgsbeam.sparkpeer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's peak resident set size: {@code VmHWM} of {@code /proc/self/status} (Linux). */
final class PeakRss {
  private PeakRss() {}

  /** The peak RSS in bytes, or -1 where /proc/self/status has no VmHWM line. */
  static long bytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          String[] f = line.substring("VmHWM:".length()).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024; // "VmHWM:  123456 kB"
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
