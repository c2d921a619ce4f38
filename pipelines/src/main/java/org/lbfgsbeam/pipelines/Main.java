package org.lbfgsbeam.pipelines;
public final class Main { public static void main(String[] a) {} }
