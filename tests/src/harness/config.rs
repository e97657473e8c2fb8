//! Gateway config files for tests, assembled from parts.

/// Builds a `parapet.toml`. Listeners default to 127.0.0.1:0 and the store to embedded.
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    server: Vec<String>,
    store: Vec<String>,
    routing: Vec<String>,
    providers: Vec<String>,
    models: Vec<String>,
    raw: Vec<String>,
}

fn quoted(items: &[&str]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", q.join(", "))
}

impl ConfigBuilder {
    pub fn new() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The usual setup: provider `mock` (openai at `mock_base_v1`), provider `echo`; models
    /// `gpt-test` -> mock `upstream-model`, `embed-test` -> mock `upstream-embed`, `echo`.
    pub fn standard(mock_base_v1: &str) -> ConfigBuilder {
        ConfigBuilder::new()
            .provider("mock", "openai", mock_base_v1, &[])
            .provider_echo()
            .model("gpt-test", "mock", "upstream-model", &[])
            .model("embed-test", "mock", "upstream-embed", &[])
            .model("echo", "echo", "echo", &[])
    }

    /// A line in `[server]`, e.g. `max_body_bytes = 1024`.
    pub fn server(mut self, line: &str) -> Self {
        self.server.push(line.to_owned());
        self
    }

    pub fn store_redis(mut self, url: &str) -> Self {
        self.store = vec!["backend = \"redis\"".into(), format!("url = {url:?}")];
        self
    }

    /// A line in `[routing]`, e.g. `max_retries = 0`.
    pub fn routing(mut self, line: &str) -> Self {
        self.routing.push(line.to_owned());
        self
    }

    /// A provider; `extra` are more `key = value` lines (e.g. `api_key_env = "K"`).
    pub fn provider(mut self, name: &str, kind: &str, base_url: &str, extra: &[&str]) -> Self {
        let mut p =
            format!("[[providers]]\nname = {name:?}\nkind = {kind:?}\nbase_url = {base_url:?}\n");
        for l in extra {
            p.push_str(l);
            p.push('\n');
        }
        self.providers.push(p);
        self
    }

    pub fn provider_echo(mut self) -> Self {
        self.providers
            .push("[[providers]]\nname = \"echo\"\nkind = \"echo\"\n".into());
        self
    }

    /// A model alias with one route and `fallbacks`.
    pub fn model(
        mut self,
        alias: &str,
        provider: &str,
        upstream: &str,
        fallbacks: &[&str],
    ) -> Self {
        let mut m = format!("[[models]]\nname = {alias:?}\nroutes = [{{ provider = {provider:?}, model = {upstream:?}, weight = 1 }}]\n");
        if !fallbacks.is_empty() {
            m.push_str(&format!("fallbacks = {}\n", quoted(fallbacks)));
        }
        self.models.push(m);
        self
    }

    /// Any other TOML, appended as is (e.g. an `[auth.jwt]` table).
    pub fn raw(mut self, toml: &str) -> Self {
        self.raw.push(toml.to_owned());
        self
    }

    pub fn build(&self) -> String {
        let mut out = String::from("[server]\n");
        let has =
            |lines: &[String], key: &str| lines.iter().any(|l| l.trim_start().starts_with(key));
        if !has(&self.server, "proxy_listen") {
            out.push_str("proxy_listen = \"127.0.0.1:0\"\n");
        }
        if !has(&self.server, "admin_listen") {
            out.push_str("admin_listen = \"127.0.0.1:0\"\n");
        }
        for l in &self.server {
            out.push_str(l);
            out.push('\n');
        }
        if !self.store.is_empty() {
            out.push_str("\n[store]\n");
            for l in &self.store {
                out.push_str(l);
                out.push('\n');
            }
        }
        if !self.routing.is_empty() {
            out.push_str("\n[routing]\n");
            for l in &self.routing {
                out.push_str(l);
                out.push('\n');
            }
        }
        for block in self.providers.iter().chain(&self.models).chain(&self.raw) {
            out.push('\n');
            out.push_str(block);
        }
        out
    }
}
