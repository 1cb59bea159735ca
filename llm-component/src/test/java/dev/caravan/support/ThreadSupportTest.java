package dev.caravan.support;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ThreadSupportTest {

    @Test
    void usesVirtualThreadsExactlyWhenTheJvmHasThem() throws Exception {
        assertThat(ThreadSupport.virtualThreadsAvailable()).isEqualTo(Runtime.version().feature() >= 21);

        ExecutorService executor = ThreadSupport.newTaskExecutor("probe");
        try {
            Thread thread = executor.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
            assertThat(thread.getName()).startsWith("probe-");
            assertThat(thread.isDaemon()).isTrue();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void rejectsABlankNamePrefix() {
        assertThatThrownBy(() -> ThreadSupport.newTaskExecutor(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("namePrefix must not be blank");
    }
}
