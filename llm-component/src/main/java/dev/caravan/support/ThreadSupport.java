package dev.caravan.support;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Executors for blocking work (model calls, tool calls) and timers ({@link #newTimer}). Blocking work runs on
 * virtual threads when the JVM has them (Java 21+), otherwise on a cached pool of daemon platform threads. The code is
 * compiled with {@code --release 17}, so virtual threads are reached through method handles.
 */
public final class ThreadSupport {

    private static final MethodHandle VIRTUAL_EXECUTOR = lookupVirtualExecutor();
    /** How long a timer's idle thread lives. */
    private static final long IDLE_TIMER_SECONDS = 5;

    private ThreadSupport() {
    }

    /**
     * Whether this JVM can create virtual threads (Java 21 or later).
     */
    public static boolean virtualThreadsAvailable() {
        return VIRTUAL_EXECUTOR != null;
    }

    /**
     * A new executor that runs each task on its own thread: a virtual thread named {@code namePrefix-N} on Java 21+,
     * otherwise a cached pool of daemon threads named {@code namePrefix-N} (N counts from 0 in both cases). The caller owns it and shuts it down.
     */
    public static ExecutorService newTaskExecutor(String namePrefix) {
        if (namePrefix == null || namePrefix.isBlank()) {
            throw new IllegalArgumentException("namePrefix must not be blank");
        }
        if (VIRTUAL_EXECUTOR != null) {
            try {
                return (ExecutorService) VIRTUAL_EXECUTOR.invoke(namePrefix + "-");
            } catch (Throwable e) {
                // fall through to platform threads: the lookup succeeded, so this is not expected
            }
        }
        AtomicLong counter = new AtomicLong();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, namePrefix + "-" + counter.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
        return Executors.newCachedThreadPool(factory);
    }

    /**
     * A new timer: a scheduled pool of {@code threads} daemon threads named {@code name-N} that only keep time and hand
     * work on. Its queue is unbounded (Camel's scheduled pools refuse tasks past their queue size, and a timer may hold a
     * timeout for every call in flight); a cancelled task leaves the queue at once rather than when it would have run;
     * idle threads end after a few seconds, so a timer nobody shuts down leaves none behind. The caller owns it.
     */
    public static ScheduledExecutorService newTimer(String name, int threads) {
        AtomicLong counter = new AtomicLong();
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(threads, r -> {
            Thread t = new Thread(r, name + "-" + counter.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.setKeepAliveTime(IDLE_TIMER_SECONDS, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        return timer;
    }

    /**
     * A handle {@code (String prefix) -> ExecutorService} equivalent to
     * {@code Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(prefix, 0).factory())}, or null before Java 21.
     */
    private static MethodHandle lookupVirtualExecutor() {
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Class<?> builderClass = Class.forName("java.lang.Thread$Builder");
            Class<?> ofVirtualClass = Class.forName("java.lang.Thread$Builder$OfVirtual");
            MethodHandle ofVirtual = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtualClass));
            MethodHandle name = lookup.findVirtual(ofVirtualClass, "name",
                    MethodType.methodType(ofVirtualClass, String.class, long.class));
            MethodHandle factory = lookup.findVirtual(builderClass, "factory", MethodType.methodType(ThreadFactory.class));
            MethodHandle perTask = lookup.findStatic(Executors.class, "newThreadPerTaskExecutor",
                    MethodType.methodType(ExecutorService.class, ThreadFactory.class));
            // prefix -> ofVirtual().name(prefix, 0L)
            MethodHandle named = MethodHandles.insertArguments(MethodHandles.collectArguments(name, 0, ofVirtual), 1, 0L);
            MethodHandle toFactory = factory.asType(MethodType.methodType(ThreadFactory.class, ofVirtualClass));
            MethodHandle chain = MethodHandles.filterReturnValue(MethodHandles.filterReturnValue(named, toFactory), perTask);
            // smoke test: creating an executor must work on this JVM
            ((ExecutorService) chain.invoke("caravan-probe-")).shutdown();
            return chain;
        } catch (Throwable e) {
            return null;
        }
    }
}
