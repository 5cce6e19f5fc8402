-- The sign-up spike for wrk: every request signs up a new organisation with its own name and email.
--
-- Run by bench/signup_load.py, which first opens the form once (as a visitor's browser would) and
-- passes its CSRF token and form cookie: wrk ... -s bench/signup.lua URL -- TAG TOKEN COOKIE OUTFILE
-- Each accepted sign-up redirects to "check your email" with a signed note naming the address; the
-- notes are written to OUTFILE, one a line, so the database check knows exactly which were accepted.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("number", #threads)
end

local function encode(text)
   return (string.gsub(text, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
   tag, token, cookie, outfile = args[1], args[2], args[3], args[4]
   sent = 0
   accepted = {}
   refused = 0
   headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie }
end

function request()
   sent = sent + 1
   local id = string.format("%s-%d-%d", tag, number, sent)
   local fields = {
      "csrf_token=" .. encode(token),
      "organisation_name=" .. encode("Bench Signup " .. id .. " (demo)"),
      "org_type=business", "size=small", "sector=retail", "area=preston",
      "contact_name=Bench+Person", "contact_role=Director",
      "contact_email=" .. encode("bench-" .. id .. "@example.org"),
      "commitments=local_suppliers", "commitments=living_wage", "consent_listed=y", "privacy=y",
      "statement=", "website=", "postcode=", "homepage=",
   }
   return wrk.format("POST", "/pledge", headers, table.concat(fields, "&"))
end

function response(status, headers, body)
   local location = headers["Location"] or headers["location"] or ""
   local note = headers["Set-Cookie"] or headers["set-cookie"] or ""
   if status == 303 and string.find(location, "check-your-email", 1, true) then
      table.insert(accepted, (string.match(note, "pledge_email=([^;]+)") or "?"))
   else
      refused = refused + 1
   end
end

function done(summary, latency, requests)
   local out = io.open(threads[1]:get("outfile"), "w")
   local refusals = 0
   for _, thread in ipairs(threads) do
      for _, note in ipairs(thread:get("accepted")) do out:write(note, "\n") end
      refusals = refusals + thread:get("refused")
   end
   out:close()
   io.write(string.format("REFUSED %d\nP50 %d\nP99 %d\n", refusals, latency:percentile(50), latency:percentile(99)))
end
