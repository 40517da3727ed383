"""Registry properties (as ACR names them: `adminUserEnabled`, …) and the admin user's passwords."""
