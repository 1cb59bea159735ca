package dev.caravan.llm.provider;

import dev.langchain4j.http.client.HttpClientBuilder;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * Builds a {@link ProviderHttpClient}. The provider models set both timeouts from their {@code timeout}, which the
 * factories set from the endpoint's {@code timeout}.
 */
public final class ProviderHttpClientBuilder implements HttpClientBuilder {

    private Duration connectTimeout;
    private Duration readTimeout;

    @Override
    public Duration connectTimeout() {
        return connectTimeout;
    }

    @Override
    public ProviderHttpClientBuilder connectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
        return this;
    }

    @Override
    public Duration readTimeout() {
        return readTimeout;
    }

    /**
     * The time limit of a whole blocking exchange (request sent, response read to its end), and of a streaming one until
     * the response headers arrive.
     */
    @Override
    public ProviderHttpClientBuilder readTimeout(Duration readTimeout) {
        this.readTimeout = readTimeout;
        return this;
    }

    @Override
    public ProviderHttpClient build() {
        HttpClient.Builder jdk = HttpClient.newBuilder();
        if (connectTimeout != null) {
            jdk.connectTimeout(connectTimeout);
        }
        return new ProviderHttpClient(jdk.build(), readTimeout);
    }
}
