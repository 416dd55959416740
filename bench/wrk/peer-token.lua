-- wrk: oauth2-mock-server client-credentials grant (one RS256 token a request).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials&scope=openid"
